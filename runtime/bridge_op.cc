// TF2TVMBridgeOp: runs one TVM-compiled cluster inside a TensorFlow graph.
// The contract (attrs, shape function, kernel behaviour, fallback) is
// docs/bridge-op.md; this file is its TensorFlow side, tvm_executor.cc the
// TVM side. When no artifact can run a call, the kernel runs the cluster's
// original subgraph (the `native_func` function) through TensorFlow's
// function library runtime instead.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sha256.h"
#include "tensorflow/core/framework/attr_value.pb.h"
#include "tensorflow/core/framework/device_base.h"
#include "tensorflow/core/framework/function.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/platform/logging.h"
#include "tensorflow/core/platform/threadpool.h"
#include "tvm_executor.h"

namespace tf2tvm {
namespace {

using tensorflow::AsyncOpKernel;
using tensorflow::DataType;
using tensorflow::DataTypeString;
using tensorflow::DataTypeVector;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::PartialTensorShape;
using tensorflow::Tensor;
using tensorflow::TensorShape;
namespace errors = tensorflow::errors;

constexpr char kArtifactDirEnv[] = "TF2TVM_ARTIFACT_DIR";
// "0" binds every tensor by copying: a diagnostic switch for telling a
// zero-copy problem in some TVM runtime apart from a wrong artifact.
constexpr char kZeroCopyEnv[] = "TF2TVM_ZERO_COPY";
// Threads a TVM parallel loop uses inside one bridge op; default: the TF
// device's intra-op thread count. See "Threads" in docs/bridge-op.md.
constexpr char kNumThreadsEnv[] = "TF2TVM_NUM_THREADS";
// "0": no fallback; a call no artifact can run fails, as without native_func.
constexpr char kFallbackEnv[] = "TF2TVM_FALLBACK";
// A file: one JSON line per cluster and input shape set first seen in this process.
constexpr char kShapeLogEnv[] = "TF2TVM_SHAPE_LOG";
// Tests only: comma-separated /proc/cpuinfo flags to treat as missing.
constexpr char kHideCpuFeaturesEnv[] = "TF2TVM_TEST_HIDE_CPU_FEATURES";
// Tests only: a cluster name (or "*"): its TVM runs report an error.
constexpr char kFailRunEnv[] = "TF2TVM_TEST_FAIL_RUN";

// Inputs and outputs a kernel handles without a heap allocation per call.
constexpr int kInlineTensors = 8;

// The dtypes a cluster may exchange with TensorFlow. Their buffers have the
// same layout on both sides (TF bool and TVM bool are one byte each).
bool ToDLDataType(DataType dtype, DLDataType* out) {
  switch (dtype) {
    case tensorflow::DT_FLOAT: *out = {kDLFloat, 32, 1}; return true;
    case tensorflow::DT_DOUBLE: *out = {kDLFloat, 64, 1}; return true;
    case tensorflow::DT_HALF: *out = {kDLFloat, 16, 1}; return true;
    case tensorflow::DT_BFLOAT16: *out = {kDLBfloat, 16, 1}; return true;
    case tensorflow::DT_INT32: *out = {kDLInt, 32, 1}; return true;
    case tensorflow::DT_INT64: *out = {kDLInt, 64, 1}; return true;
    case tensorflow::DT_INT16: *out = {kDLInt, 16, 1}; return true;
    case tensorflow::DT_INT8: *out = {kDLInt, 8, 1}; return true;
    case tensorflow::DT_UINT8: *out = {kDLUInt, 8, 1}; return true;
    case tensorflow::DT_BOOL: *out = {kDLUInt, 1, 1}; return true;
    default: return false;
  }
}

// TVM's parallel loops on TensorFlow's intra-op threads: the threads TF's
// own kernels use, so a bridge op adds none of its own.
class IntraOpPool : public TaskPool {
 public:
  IntraOpPool(tensorflow::thread::ThreadPool* workers, int num_threads)
      : workers_(workers), num_threads_(workers == nullptr ? 1 : num_threads) {}
  int NumThreads() const override { return num_threads_; }
  void Schedule(std::function<void()> fn) override { workers_->Schedule(std::move(fn)); }

 private:
  tensorflow::thread::ThreadPool* workers_;
  int num_threads_;
};

std::string ShapeSetText(const std::vector<TensorShape>& shapes) {
  std::string text = "(";
  for (size_t i = 0; i < shapes.size(); ++i) {
    text += (i ? ", " : "") + shapes[i].DebugString();
  }
  return text + ")";
}

// Dimension-wise merge across artifacts: what every compiled shape agrees on.
PartialTensorShape MergeLoosely(const PartialTensorShape& a, const PartialTensorShape& b) {
  if (a.unknown_rank() || b.unknown_rank() || a.dims() != b.dims()) return PartialTensorShape();
  std::vector<int64_t> dims;
  for (int d = 0; d < a.dims(); ++d) {
    dims.push_back(a.dim_size(d) == b.dim_size(d) ? a.dim_size(d) : -1);
  }
  return PartialTensorShape(dims);
}

absl::Status BridgeShapeFn(tensorflow::shape_inference::InferenceContext* c) {
  std::vector<PartialTensorShape> shapes;
  TF_RETURN_IF_ERROR(c->GetAttr("output_shapes", &shapes));
  const size_t num_outputs = static_cast<size_t>(c->num_outputs());
  if (shapes.empty() || shapes.size() % num_outputs != 0) {
    return errors::InvalidArgument("TF2TVMBridgeOp: output_shapes holds ", shapes.size(),
                                   " shapes, not a multiple of len(Tout) = ", num_outputs);
  }
  for (size_t o = 0; o < num_outputs; ++o) {
    PartialTensorShape merged = shapes[o];
    for (size_t a = 1; a < shapes.size() / num_outputs; ++a) {
      merged = MergeLoosely(merged, shapes[a * num_outputs + o]);
    }
    tensorflow::shape_inference::ShapeHandle handle;
    TF_RETURN_IF_ERROR(c->MakeShapeFromPartialTensorShape(merged, &handle));
    c->set_output(static_cast<int>(o), handle);
  }
  return absl::OkStatus();
}

// Why a call ran the native function: the reason codes counted per cluster
// (docs/bridge-op.md, "Fallback").
constexpr char kNoArtifact[] = "no-artifact";    // no artifact for these input shapes
constexpr char kMissing[] = "missing";           // the file is not there (or no folder is set)
constexpr char kUnreadable[] = "unreadable";     // it cannot be read
constexpr char kSha256[] = "sha256";             // its digest is not the node's
constexpr char kCpuFeatures[] = "cpu-features";  // the host lacks an ISA feature it needs
constexpr char kLoadError[] = "load-error";      // TVM cannot load it
constexpr char kRunError[] = "run-error";        // TVM returned an error from a run

// Fallback counts of the whole process, per cluster name and reason; each
// (cluster, reason) is logged once.
class FallbackRegistry {
 public:
  static FallbackRegistry& Get() {
    static FallbackRegistry* registry = new FallbackRegistry();  // never destroyed
    return *registry;
  }

  void Record(const std::string& cluster, const std::string& reason, const std::string& detail) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[cluster][reason];
    if (logged_.insert({cluster, reason}).second) {
      LOG(WARNING) << "TF2TVMBridgeOp cluster '" << cluster
                   << "': running its TensorFlow subgraph instead of TVM (" << reason
                   << "): " << detail << ". Logged once per cluster and reason; counts: "
                   << "tf2tvm_runtime.fallback_counts().";
    }
  }

  // {"cluster": {"reason": n, ...}, ...}, keys sorted.
  std::string Json() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out = "{";
    for (const auto& [cluster, reasons] : counts_) {
      out += (out.size() > 1 ? ", " : "") + Quote(cluster) + ": {";
      bool first = true;
      for (const auto& [reason, n] : reasons) {
        out += (first ? "" : ", ") + Quote(reason) + ": " + std::to_string(n);
        first = false;
      }
      out += "}";
    }
    return out + "}";
  }

  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    counts_.clear();
  }

  // Whether this cluster and shape set are new to the process (for the shape log).
  bool FirstSeen(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return shape_sets_.insert(key).second;
  }

  static std::string Quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, int64_t>> counts_;
  std::set<std::pair<std::string, std::string>> logged_;
  std::set<std::string> shape_sets_;
};

// The host's CPU flags as /proc/cpuinfo lists them (read once); empty if
// unknown, in which case nothing is checked.
const std::set<std::string>& HostCpuFlags() {
  static const std::set<std::string>* flags = [] {
    auto* out = new std::set<std::string>();
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::istringstream words(line.substr(colon + 1));
      std::string w;
      while (words >> w) out->insert(w);
      break;
    }
    return out;
  }();
  return *flags;
}

// The required features the host lacks, space-separated ("" = none).
std::string MissingCpuFeatures(const std::vector<std::string>& required) {
  const std::set<std::string>& host = HostCpuFlags();
  if (host.empty()) return "";
  std::set<std::string> hidden;
  if (const char* env = std::getenv(kHideCpuFeaturesEnv)) {
    std::stringstream list(env);
    std::string f;
    while (std::getline(list, f, ',')) hidden.insert(std::string(absl::StripAsciiWhitespace(f)));
  }
  std::string missing;
  for (const std::string& f : required) {
    if (host.count(f) == 0 || hidden.count(f) != 0) missing += (missing.empty() ? "" : " ") + f;
  }
  return missing;
}

bool EnvIs(const char* name, const char* value) {
  const char* env = std::getenv(name);
  return env != nullptr && std::strcmp(env, value) == 0;
}

class BridgeOpKernel : public AsyncOpKernel {
 public:
  explicit BridgeOpKernel(OpKernelConstruction* ctx) : AsyncOpKernel(ctx) {
    DataTypeVector tin, tout, troot;
    std::vector<std::string> paths, digests;
    std::vector<PartialTensorShape> input_shapes, output_shapes;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("Tin", &tin));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("Tout", &tout));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("Troot", &troot));
    OP_REQUIRES(ctx, troot.size() <= 1,
                errors::InvalidArgument(Where(), ": artifact_root takes at most one string, got ",
                                        troot.size()));
    num_inputs_ = static_cast<int>(tin.size());
    has_root_ = troot.size() == 1;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("cluster", &cluster_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("artifacts", &paths));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("artifact_sha256", &digests));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("input_shapes", &input_shapes));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("output_shapes", &output_shapes));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("artifact_dir", &artifact_dir_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("tvm_version", &tvm_version_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("target", &target_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("native_func", &native_func_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("required_cpu_features", &required_cpu_features_));
    std::vector<int64_t> artifact_threads;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("artifact_threads", &artifact_threads));
    fallback_enabled_ = !EnvIs(kFallbackEnv, "0");
    if (const char* log = std::getenv(kShapeLogEnv)) shape_log_ = log;
    if (const char* fail = std::getenv(kFailRunEnv)) {
      fail_runs_ = std::strcmp(fail, "*") == 0 || cluster_ == fail;
    }

    // TVM's parallel loops run on TF's intra-op pool, split into as many
    // tasks as the pool has threads unless the environment says otherwise.
    const char* threads_env = std::getenv(kNumThreadsEnv);
    if (threads_env != nullptr && *threads_env != '\0') {
      char* end = nullptr;
      errno = 0;
      long n = std::strtol(threads_env, &end, 10);
      OP_REQUIRES(ctx, errno == 0 && *end == '\0' && n >= 1 && n <= 4096,
                  errors::InvalidArgument(Where(), ": ", kNumThreadsEnv, "='", threads_env,
                                          "' is not a thread count (an integer >= 1)"));
      num_threads_ = static_cast<int>(n);
    } else {
      num_threads_ = std::max(1, ctx->device()->tensorflow_cpu_worker_threads()->num_threads);
    }

    const size_t n_art = paths.size(), n_in = tin.size(), n_out = tout.size();
    OP_REQUIRES(ctx, n_art > 0, errors::InvalidArgument(Where(), ": no artifacts"));
    OP_REQUIRES(ctx, digests.size() == n_art,
                errors::InvalidArgument(Where(), ": ", n_art, " artifacts but ", digests.size(),
                                        " artifact_sha256 values"));
    OP_REQUIRES(ctx, artifact_threads.empty() || artifact_threads.size() == n_art,
                errors::InvalidArgument(Where(), ": ", n_art, " artifacts but ",
                                        artifact_threads.size(), " artifact_threads values"));
    for (int64_t t : artifact_threads) {
      OP_REQUIRES(ctx, t >= 0 && t <= 4096,
                  errors::InvalidArgument(Where(), ": artifact_threads value ", t,
                                          " is not a thread count (0: no limit, else 1-4096)"));
    }
    OP_REQUIRES(ctx, input_shapes.size() == n_art * n_in && output_shapes.size() == n_art * n_out,
                errors::InvalidArgument(Where(), ": input_shapes/output_shapes must hold ",
                                        "len(Tin)/len(Tout) shapes per artifact (", n_art,
                                        " artifacts, ", n_in, " inputs, ", n_out, " outputs)"));

    std::vector<DLDataType> in_types(n_in), out_types(n_out);
    for (size_t i = 0; i < n_in + n_out; ++i) {
      DataType dtype = i < n_in ? tin[i] : tout[i - n_in];
      DLDataType* slot = i < n_in ? &in_types[i] : &out_types[i - n_in];
      OP_REQUIRES(
          ctx, ToDLDataType(dtype, slot),
          errors::InvalidArgument(Where(), ": dtype ", DataTypeString(dtype),
                                  " is not supported (float32, float64, float16, bfloat16, ",
                                  "int32, int64, int16, int8, uint8, bool)"));
    }

    // An artifact is compiled for one exact shape set, so every shape on
    // the node must be fully known.
    auto to_shapes = [&](const std::vector<PartialTensorShape>& all, size_t begin, size_t count,
                         const std::vector<DLDataType>& types, std::vector<TensorShape>* shapes,
                         std::vector<TensorSpec>* specs) {
      for (size_t k = 0; k < count; ++k) {
        TensorShape shape;
        if (!all[begin + k].AsTensorShape(&shape)) {
          return errors::InvalidArgument(Where(), ": artifact shape ", all[begin + k].DebugString(),
                                         " is not fully defined");
        }
        shapes->push_back(shape);
        const auto dims = shape.dim_sizes();  // returned by value
        specs->push_back(TensorSpec{types[k], std::vector<int64_t>(dims.begin(), dims.end())});
      }
      return absl::OkStatus();
    };
    for (size_t a = 0; a < n_art; ++a) {
      Artifact& art = artifacts_.emplace_back();
      art.path = paths[a];
      art.sha256 = absl::AsciiStrToLower(digests[a]);
      art.max_threads = artifact_threads.empty() ? 0 : static_cast<int>(artifact_threads[a]);
      OP_REQUIRES_OK(ctx, to_shapes(input_shapes, a * n_in, n_in, in_types, &art.input_shapes,
                                    &art.input_specs));
      OP_REQUIRES_OK(ctx, to_shapes(output_shapes, a * n_out, n_out, out_types, &art.output_shapes,
                                    &art.output_specs));
    }
  }

  void ComputeAsync(OpKernelContext* ctx, DoneCallback done) override {
    // The artifact compiled for these input shapes. No allocation: this
    // and everything below up to the TVM run is the op's fixed cost.
    const int n_in = num_inputs_;
    Artifact* art = nullptr;
    for (Artifact& candidate : artifacts_) {
      bool same = true;
      for (int i = 0; i < n_in && same; ++i) {
        same = ctx->input(i).shape() == candidate.input_shapes[i];
      }
      if (same) {
        art = &candidate;
        break;
      }
    }
    if (!shape_log_.empty()) LogShapes(ctx);
    if (art == nullptr) {
      std::string compiled;
      for (const Artifact& candidate : artifacts_) {
        compiled += (compiled.empty() ? "" : ", ") + ShapeSetText(candidate.input_shapes);
      }
      const std::string seen = ShapeSetText(InputShapes(ctx));
      RunNative(
          ctx, std::move(done), kNoArtifact, "no artifact for input shapes " + seen,
          errors::InvalidArgument(Where(), ": no compiled artifact for input shapes ", seen,
                                  "; compiled input shape sets: ", compiled,
                                  ". Compile the model for this shape too (tf2tvm --shapes)."),
          false);
      return;
    }

    GraphExecutor* executor = art->ready.load(std::memory_order_acquire);
    if (executor == nullptr) {
      if (art->broken.load(std::memory_order_acquire)) {
        RunNative(ctx, std::move(done), art->reason, art->detail, art->status, false);
        return;
      }
      std::string reason;
      absl::Status status = LoadExecutor(art, RootFolder(ctx), &executor, &reason);
      if (!status.ok()) {
        if (fallback_enabled_ && HasNative()) {
          MarkBroken(art, reason, std::string(status.message()), status);
        }
        RunNative(ctx, std::move(done), reason, std::string(status.message()), status, false);
        return;
      }
    }

    absl::InlinedVector<const void*, kInlineTensors> inputs(n_in);
    for (int i = 0; i < n_in; ++i) inputs[i] = ctx->input(i).data();
    const size_t n_out = art->output_shapes.size();
    absl::InlinedVector<void*, kInlineTensors> outputs(n_out);
    for (size_t o = 0; o < n_out; ++o) {
      Tensor* output = nullptr;
      OP_REQUIRES_OK_ASYNC(
          ctx, ctx->allocate_output(static_cast<int>(o), art->output_shapes[o], &output), done);
      outputs[o] = output->data();
    }

    IntraOpPool pool(ctx->device()->tensorflow_cpu_worker_threads()->workers, ThreadsFor(*art));
    std::string error;
    bool ran = false;
    if (fail_runs_) {
      error = std::string("run failed (made to fail by ") + kFailRunEnv + ")";
    } else {
      ran = executor->Run(inputs.data(), outputs.data(), &pool, &error);
    }
    if (!ran) {
      absl::Status status =
          errors::Internal(Where(), ": TVM ", error, " [artifact ", art->path, "]");
      // TVM failed once: this kernel does not use the artifact again.
      if (fallback_enabled_ && HasNative()) {
        MarkBroken(art, kRunError, "TVM " + error + " [artifact " + art->path + "]", status);
      }
      RunNative(ctx, std::move(done), kRunError, "TVM " + error + " [artifact " + art->path + "]",
                status, true);
      return;
    }
    done();
  }

 private:
  struct Artifact {
    std::string path;    // as on the node: absolute, or relative to the artifact dir
    std::string sha256;  // expected, lowercase hex
    std::vector<TensorShape> input_shapes, output_shapes;
    std::vector<TensorSpec> input_specs, output_specs;
    // Tasks per parallel loop at most (artifact_threads; 0: the kernel's
    // count): 1 for an artifact tf2tvm found too small for a parallel loop to pay.
    int max_threads = 0;
    std::unique_ptr<GraphExecutor> executor;  // created on first use, under load_mu_
    // executor.get() once it is ready: read without the lock on every call.
    std::atomic<GraphExecutor*> ready{nullptr};
    // Set (under load_mu_) when the artifact cannot run and the kernel falls
    // back instead: why, for the count and the error without fallback.
    std::atomic<bool> broken{false};
    std::string reason, detail;
    absl::Status status;
  };

  bool HasNative() const { return !native_func_.name().empty(); }

  // Tasks a parallel loop of this artifact is split into.
  int ThreadsFor(const Artifact& art) const {
    return art.max_threads > 0 ? std::min(num_threads_, art.max_threads) : num_threads_;
  }

  // The artifact is not used again by this kernel: its calls fall back for
  // `reason`. The first failure is kept (readers read it without the lock
  // once `broken` is set, so it is written once).
  void MarkBroken(Artifact* art, const std::string& reason, const std::string& detail,
                  const absl::Status& status) {
    std::lock_guard<std::mutex> lock(load_mu_);
    if (art->broken.load(std::memory_order_relaxed)) return;
    art->reason = reason;
    art->detail = detail;
    art->status = status;
    art->broken.store(true, std::memory_order_release);
    art->ready.store(nullptr, std::memory_order_release);
  }

  std::vector<TensorShape> InputShapes(OpKernelContext* ctx) const {
    std::vector<TensorShape> shapes;
    for (int i = 0; i < num_inputs_; ++i) shapes.push_back(ctx->input(i).shape());
    return shapes;
  }

  // The folder holding the file the artifact_root input names (a SavedModel
  // asset, resolved by TensorFlow's loader to where the model was loaded
  // from); "" when the node has no such input or it is empty.
  std::string RootFolder(OpKernelContext* ctx) const {
    if (!has_root_) return "";
    const Tensor& root = ctx->input(num_inputs_);
    if (root.dtype() != tensorflow::DT_STRING || root.NumElements() != 1) return "";
    const std::string file(root.flat<tensorflow::tstring>()(0));
    if (file.empty()) return "";
    return std::filesystem::path(file).parent_path().string();
  }

  // TF2TVM_SHAPE_LOG: one line per cluster and input shape set, the first
  // time the process sees it.
  void LogShapes(OpKernelContext* ctx) {
    std::string inputs = "[";
    for (int i = 0; i < num_inputs_; ++i) {
      inputs += i ? ", [" : "[";
      const TensorShape& shape = ctx->input(i).shape();
      for (int d = 0; d < shape.dims(); ++d) {
        inputs += (d ? ", " : "") + std::to_string(shape.dim_size(d));
      }
      inputs += "]";
    }
    inputs += "]";
    if (!FallbackRegistry::Get().FirstSeen(cluster_ + "\n" + inputs)) return;
    const std::string line =
        "{\"cluster\": " + FallbackRegistry::Quote(cluster_) + ", \"inputs\": " + inputs + "}\n";
    std::FILE* f = std::fopen(shape_log_.c_str(), "a");
    if (f == nullptr) {
      LOG(WARNING) << Where() << ": cannot append to " << kShapeLogEnv << "=" << shape_log_ << ": "
                   << std::strerror(errno);
      return;
    }
    std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
  }

  // Runs the cluster's native function for this call, or fails it with
  // `error` when fallback is off or the node has no function. `allocated`:
  // the outputs were already allocated for TVM (a failed run), so the
  // function's results are copied into them.
  void RunNative(OpKernelContext* ctx, DoneCallback done, const std::string& reason,
                 const std::string& detail, const absl::Status& error, bool allocated) {
    if (!fallback_enabled_) {
      ctx->SetStatus(absl::Status(
          error.code(), absl::StrCat(error.message(), " (", kFallbackEnv, "=0: fallback is off)")));
      done();
      return;
    }
    if (!HasNative()) {
      ctx->SetStatus(
          absl::Status(error.code(), absl::StrCat(error.message(),
                                                  " (the node has no native_func to fall back to:"
                                                  " compiled with --no-fallback?)")));
      done();
      return;
    }
    FallbackRegistry::Get().Record(cluster_, reason, detail);
    tensorflow::FunctionLibraryRuntime* lib = ctx->function_library();
    tensorflow::FunctionLibraryRuntime::Handle handle = tensorflow::kInvalidHandle;
    absl::Status status = NativeHandle(ctx, lib, &handle);
    if (!status.ok()) {
      ctx->SetStatus(
          absl::Status(status.code(), absl::StrCat(Where(), ": running native_func '",
                                                   native_func_.name(), "': ", status.message())));
      done();
      return;
    }
    tensorflow::FunctionLibraryRuntime::Options opts;
    opts.rendezvous = ctx->rendezvous();
    opts.cancellation_manager = ctx->cancellation_manager();
    opts.runner = ctx->runner();
    std::vector<Tensor> inputs;
    inputs.reserve(num_inputs_);
    for (int i = 0; i < num_inputs_; ++i) inputs.push_back(ctx->input(i));
    auto* outputs = new std::vector<Tensor>();
    std::string where = Where();
    lib->Run(opts, handle, inputs, outputs,
             [ctx, done = std::move(done), outputs, allocated, where](const absl::Status& s) {
               std::unique_ptr<std::vector<Tensor>> owned(outputs);
               if (!s.ok()) {
                 ctx->SetStatus(absl::Status(
                     s.code(), absl::StrCat(where, ": native_func failed: ", s.message())));
               } else if (static_cast<int>(owned->size()) != ctx->num_outputs()) {
                 ctx->SetStatus(errors::Internal(where, ": native_func returned ", owned->size(),
                                                 " tensors, the node has ", ctx->num_outputs(),
                                                 " outputs"));
               } else {
                 for (size_t o = 0; o < owned->size(); ++o) {
                   const Tensor& t = (*owned)[o];
                   Tensor* dst = allocated ? ctx->mutable_output(static_cast<int>(o)) : nullptr;
                   if (dst != nullptr && dst->shape() == t.shape() && dst->dtype() == t.dtype()) {
                     std::memcpy(dst->data(), t.data(), t.TotalBytes());
                   } else {
                     ctx->set_output(static_cast<int>(o), t);
                   }
                 }
               }
               done();
             });
  }

  // The function library handle of native_func, instantiated once per
  // function library runtime (one per device and session).
  absl::Status NativeHandle(OpKernelContext* ctx, tensorflow::FunctionLibraryRuntime* lib,
                            tensorflow::FunctionLibraryRuntime::Handle* handle) {
    if (lib == nullptr) return errors::Internal("the kernel has no function library");
    std::lock_guard<std::mutex> lock(native_mu_);
    if (native_lib_ != lib || native_handle_ == tensorflow::kInvalidHandle) {
      tensorflow::FunctionLibraryRuntime::InstantiateOptions inst;
      inst.target = ctx->device()->name();
      tensorflow::FunctionLibraryRuntime::Handle h;
      TF_RETURN_IF_ERROR(lib->Instantiate(native_func_.name(),
                                          tensorflow::AttrSlice(&native_func_.attr()), inst, &h));
      native_lib_ = lib;
      native_handle_ = h;
    }
    *handle = native_handle_;
    return absl::OkStatus();
  }

  std::string Where() const {
    return "TF2TVMBridgeOp '" + name() + "' (cluster '" + cluster_ + "')";
  }

  // Absolute path of an artifact: dlopen would search a bare relative name
  // on the library path instead of the output folder. *base_source says
  // where the base folder came from, for error messages.
  absl::Status ResolvePath(const Artifact& art, const std::string& root, std::string* out,
                           std::string* base_source) const {
    std::filesystem::path path(art.path);
    *base_source = "none: the path is absolute";
    if (!path.is_absolute()) {
      std::string base = root;
      *base_source = "the artifact_root input's folder '" + base + "'";
      if (base.empty()) {
        base = artifact_dir_;
        *base_source = "artifact_dir attr '" + base + "'";
      }
      if (base.empty()) {
        const char* env = std::getenv(kArtifactDirEnv);
        if (env != nullptr) base = env;
        *base_source = std::string("$") + kArtifactDirEnv + "='" + base + "'";
      }
      if (base.empty()) {
        return errors::FailedPrecondition(
            Where(), ": artifact path '", art.path, "' is relative and no artifact folder is ",
            "set. Load the graph with load(OUT) from OUT/runtime/tf2tvm_runtime.py (it sets the ",
            "artifact_dir attr), or set the environment variable ", kArtifactDirEnv,
            " to the tf2tvm output folder OUT.");
      }
      path = std::filesystem::path(base) / path;
    }
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    if (ec) return errors::InvalidArgument(Where(), ": bad artifact path ", path.string());
    *out = absolute.lexically_normal().string();
    return absl::OkStatus();
  }

  // The executor of an artifact, created (after checking the file's sha256)
  // the first time the artifact is used and kept for the kernel's lifetime.
  // Compute calls this only while art->ready is unset.
  absl::Status LoadExecutor(Artifact* art, const std::string& root, GraphExecutor** out,
                            std::string* reason) {
    std::lock_guard<std::mutex> lock(load_mu_);
    if (art->executor == nullptr) {
      std::string path, base_source;
      *reason = kMissing;
      TF_RETURN_IF_ERROR(ResolvePath(*art, root, &path, &base_source));
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        return errors::NotFound(Where(), ": artifact ", path, " does not exist (path on the node '",
                                art->path, "', base folder from ", base_source, ")");
      }
      std::string digest, error;
      *reason = kUnreadable;
      if (!Sha256File(path, &digest, &error)) return errors::Unavailable(Where(), ": ", error);
      *reason = kSha256;
      if (digest != art->sha256) {
        return errors::DataLoss(Where(), ": artifact ", path, " has sha256 ", digest,
                                " but the node expects ", art->sha256,
                                "; the file was changed or replaced after compilation");
      }
      // Code built for an ISA the host lacks would die on an illegal instruction.
      *reason = kCpuFeatures;
      const std::string missing = MissingCpuFeatures(required_cpu_features_);
      if (!missing.empty()) {
        return errors::FailedPrecondition(Where(), ": the host CPU lacks ", missing, ", which ",
                                          path, " (built for '", target_, "') needs");
      }
      *reason = kLoadError;
      const char* zero_copy = std::getenv(kZeroCopyEnv);
      bool allow_zero_copy = zero_copy == nullptr || std::string(zero_copy) != "0";
      art->executor =
          GraphExecutor::Load(path, art->input_specs, art->output_specs, allow_zero_copy, &error);
      if (art->executor == nullptr) {
        return errors::Internal(Where(), ": loading ", path, " (built with TVM '", tvm_version_,
                                "' for '", target_, "'): ", error);
      }
      VLOG(1) << Where() << ": loaded " << path << "; parallel loops: "
              << (art->executor->parallel()
                      ? std::to_string(ThreadsFor(*art)) + " tasks on TF's intra-op threads"
                      : std::string("the TVM runtime's own launcher"))
              << "; " << art->executor->DescribeBindings();
      art->ready.store(art->executor.get(), std::memory_order_release);
    }
    *out = art->executor.get();
    return absl::OkStatus();
  }

  std::string cluster_, artifact_dir_, tvm_version_, target_;
  tensorflow::NameAttrList native_func_;            // empty name: no fallback function
  std::vector<std::string> required_cpu_features_;  // /proc/cpuinfo flags the artifacts need
  int num_inputs_ = 0;                              // len(Tin): the cluster's inputs
  bool has_root_ = false;                           // an artifact_root input follows them
  bool fallback_enabled_ = true;                    // kFallbackEnv is not "0"
  bool fail_runs_ = false;                          // kFailRunEnv names this cluster (tests)
  std::string shape_log_;                           // kShapeLogEnv, or empty
  std::mutex native_mu_;                            // guards native_lib_ and native_handle_
  tensorflow::FunctionLibraryRuntime* native_lib_ = nullptr;
  tensorflow::FunctionLibraryRuntime::Handle native_handle_ = tensorflow::kInvalidHandle;
  int num_threads_ = 1;  // tasks per parallel loop (kNumThreadsEnv, else TF's intra-op count)
  // Fixed after construction, except each Artifact::executor (see load_mu_).
  // A deque: Artifact holds an atomic, which cannot move.
  std::deque<Artifact> artifacts_;
  std::mutex load_mu_;
};

}  // namespace
}  // namespace tf2tvm

REGISTER_OP("TF2TVMBridgeOp")
    .Input("inputs: Tin")
    .Input("artifact_root: Troot")
    .Output("outputs: Tout")
    .Attr("Tin: list(type) >= 0")
    .Attr("Troot: list({string}) >= 0 = []")
    .Attr("Tout: list(type) >= 1")
    .Attr("cluster: string")
    .Attr("artifacts: list(string)")
    .Attr("artifact_sha256: list(string)")
    .Attr("input_shapes: list(shape)")
    .Attr("output_shapes: list(shape)")
    .Attr("artifact_dir: string = ''")
    .Attr("tvm_version: string = ''")
    .Attr("target: string = ''")
    .Attr("native_func: func = {}")
    .Attr("required_cpu_features: list(string) = []")
    .Attr("artifact_threads: list(int) = []")
    .SetShapeFn(tf2tvm::BridgeShapeFn)
    .Doc(R"doc(
Runs one cluster compiled ahead of time by tf2tvm into a TVM library.
The artifact is picked by the exact input shapes; where none can run,
native_func (the cluster's TensorFlow subgraph) runs; see docs/bridge-op.md.
)doc");

REGISTER_KERNEL_BUILDER(Name("TF2TVMBridgeOp").Device(tensorflow::DEVICE_CPU),
                        tf2tvm::BridgeOpKernel);

// Fallback counts for tf2tvm_runtime.fallback_counts() (ctypes): writes the
// JSON text {"cluster": {"reason": n}} and a NUL into buf when it fits in
// len bytes; returns the text's length either way.
extern "C" __attribute__((visibility("default"))) long TF2TVM_FallbackCounts(char* buf, long len) {
  const std::string json = tf2tvm::FallbackRegistry::Get().Json();
  if (buf != nullptr && len > static_cast<long>(json.size())) {
    std::memcpy(buf, json.c_str(), json.size() + 1);
  }
  return static_cast<long>(json.size());
}

// Sets every fallback count back to zero (what is logged stays logged).
extern "C" __attribute__((visibility("default"))) void TF2TVM_ResetFallbackCounts() {
  tf2tvm::FallbackRegistry::Get().Reset();
}
