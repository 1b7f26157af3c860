// TF2TVMBridgeOp: runs one TVM-compiled cluster inside a TensorFlow graph.
// The contract (attrs, shape function, kernel behaviour) is
// docs/bridge-op.md; this file is its TensorFlow side, tvm_executor.cc the
// TVM side.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "sha256.h"
#include "tensorflow/core/framework/device_base.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/platform/logging.h"
#include "tensorflow/core/platform/threadpool.h"
#include "tvm_executor.h"

namespace tf2tvm {
namespace {

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

// Inputs and outputs a kernel handles without a heap allocation per call.
constexpr int kInlineTensors = 8;

// The dtypes a cluster may exchange with TensorFlow. Their buffers have the
// same layout on both sides (TF bool and TVM bool are one byte each).
bool ToDLDataType(DataType dtype, DLDataType* out) {
  switch (dtype) {
    case tensorflow::DT_FLOAT: *out = {kDLFloat, 32, 1}; return true;
    case tensorflow::DT_DOUBLE: *out = {kDLFloat, 64, 1}; return true;
    case tensorflow::DT_HALF: *out = {kDLFloat, 16, 1}; return true;
    case tensorflow::DT_INT32: *out = {kDLInt, 32, 1}; return true;
    case tensorflow::DT_INT64: *out = {kDLInt, 64, 1}; return true;
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

class BridgeOpKernel : public OpKernel {
 public:
  explicit BridgeOpKernel(OpKernelConstruction* ctx) : OpKernel(ctx) {
    DataTypeVector tin, tout;
    std::vector<std::string> paths, digests;
    std::vector<PartialTensorShape> input_shapes, output_shapes;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("Tin", &tin));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("Tout", &tout));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("cluster", &cluster_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("artifacts", &paths));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("artifact_sha256", &digests));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("input_shapes", &input_shapes));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("output_shapes", &output_shapes));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("artifact_dir", &artifact_dir_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("tvm_version", &tvm_version_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("target", &target_));

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
    OP_REQUIRES(ctx, input_shapes.size() == n_art * n_in && output_shapes.size() == n_art * n_out,
                errors::InvalidArgument(Where(), ": input_shapes/output_shapes must hold ",
                                        "len(Tin)/len(Tout) shapes per artifact (", n_art,
                                        " artifacts, ", n_in, " inputs, ", n_out, " outputs)"));

    std::vector<DLDataType> in_types(n_in), out_types(n_out);
    for (size_t i = 0; i < n_in + n_out; ++i) {
      DataType dtype = i < n_in ? tin[i] : tout[i - n_in];
      DLDataType* slot = i < n_in ? &in_types[i] : &out_types[i - n_in];
      OP_REQUIRES(ctx, ToDLDataType(dtype, slot),
                  errors::InvalidArgument(Where(), ": dtype ", DataTypeString(dtype),
                                          " is not supported (float32, float64, float16, ",
                                          "int32, int64, int8, uint8, bool)"));
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
      OP_REQUIRES_OK(ctx, to_shapes(input_shapes, a * n_in, n_in, in_types, &art.input_shapes,
                                    &art.input_specs));
      OP_REQUIRES_OK(ctx, to_shapes(output_shapes, a * n_out, n_out, out_types, &art.output_shapes,
                                    &art.output_specs));
    }
  }

  void Compute(OpKernelContext* ctx) override {
    // The artifact compiled for these input shapes. No allocation: this
    // and everything below up to the TVM run is the op's fixed cost.
    const int n_in = ctx->num_inputs();
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
    if (art == nullptr) {
      std::vector<TensorShape> seen;
      for (int i = 0; i < n_in; ++i) seen.push_back(ctx->input(i).shape());
      std::string compiled;
      for (const Artifact& candidate : artifacts_) {
        compiled += (compiled.empty() ? "" : ", ") + ShapeSetText(candidate.input_shapes);
      }
      ctx->SetStatus(
          errors::InvalidArgument(Where(), ": no compiled artifact for input shapes ",
                                  ShapeSetText(seen), "; compiled input shape sets: ", compiled,
                                  ". Compile the model for this shape too (tf2tvm --shapes)."));
      return;
    }

    GraphExecutor* executor = art->ready.load(std::memory_order_acquire);
    if (executor == nullptr) OP_REQUIRES_OK(ctx, LoadExecutor(art, &executor));

    absl::InlinedVector<const void*, kInlineTensors> inputs(n_in);
    for (int i = 0; i < n_in; ++i) inputs[i] = ctx->input(i).data();
    const size_t n_out = art->output_shapes.size();
    absl::InlinedVector<void*, kInlineTensors> outputs(n_out);
    for (size_t o = 0; o < n_out; ++o) {
      Tensor* output = nullptr;
      OP_REQUIRES_OK(ctx,
                     ctx->allocate_output(static_cast<int>(o), art->output_shapes[o], &output));
      outputs[o] = output->data();
    }

    IntraOpPool pool(ctx->device()->tensorflow_cpu_worker_threads()->workers, num_threads_);
    std::string error;
    OP_REQUIRES(ctx, executor->Run(inputs.data(), outputs.data(), &pool, &error),
                errors::Internal(Where(), ": TVM ", error, " [artifact ", art->path, "]"));
  }

 private:
  struct Artifact {
    std::string path;    // as on the node: absolute, or relative to the artifact dir
    std::string sha256;  // expected, lowercase hex
    std::vector<TensorShape> input_shapes, output_shapes;
    std::vector<TensorSpec> input_specs, output_specs;
    std::unique_ptr<GraphExecutor> executor;  // created on first use, under load_mu_
    // executor.get() once it is ready: read without the lock on every call.
    std::atomic<GraphExecutor*> ready{nullptr};
  };

  std::string Where() const {
    return "TF2TVMBridgeOp '" + name() + "' (cluster '" + cluster_ + "')";
  }

  // Absolute path of an artifact: dlopen would search a bare relative name
  // on the library path instead of the output folder. *base_source says
  // where the base folder came from, for error messages.
  absl::Status ResolvePath(const Artifact& art, std::string* out, std::string* base_source) const {
    std::filesystem::path path(art.path);
    *base_source = "none: the path is absolute";
    if (!path.is_absolute()) {
      std::string base = artifact_dir_;
      *base_source = "artifact_dir attr '" + base + "'";
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
  absl::Status LoadExecutor(Artifact* art, GraphExecutor** out) {
    std::lock_guard<std::mutex> lock(load_mu_);
    if (art->executor == nullptr) {
      std::string path, base_source;
      TF_RETURN_IF_ERROR(ResolvePath(*art, &path, &base_source));
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        return errors::NotFound(Where(), ": artifact ", path, " does not exist (path on the node '",
                                art->path, "', base folder from ", base_source, ")");
      }
      std::string digest, error;
      if (!Sha256File(path, &digest, &error)) return errors::Unavailable(Where(), ": ", error);
      if (digest != art->sha256) {
        return errors::DataLoss(Where(), ": artifact ", path, " has sha256 ", digest,
                                " but the node expects ", art->sha256,
                                "; the file was changed or replaced after compilation");
      }
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
                      ? std::to_string(num_threads_) + " tasks on TF's intra-op threads"
                      : std::string("the TVM runtime's own launcher"))
              << "; " << art->executor->DescribeBindings();
      art->ready.store(art->executor.get(), std::memory_order_release);
    }
    *out = art->executor.get();
    return absl::OkStatus();
  }

  std::string cluster_, artifact_dir_, tvm_version_, target_;
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
    .Output("outputs: Tout")
    .Attr("Tin: list(type) >= 0")
    .Attr("Tout: list(type) >= 1")
    .Attr("cluster: string")
    .Attr("artifacts: list(string)")
    .Attr("artifact_sha256: list(string)")
    .Attr("input_shapes: list(shape)")
    .Attr("output_shapes: list(shape)")
    .Attr("artifact_dir: string = ''")
    .Attr("tvm_version: string = ''")
    .Attr("target: string = ''")
    .SetShapeFn(tf2tvm::BridgeShapeFn)
    .Doc(R"doc(
Runs one cluster compiled ahead of time by tf2tvm into a TVM library.
The artifact is picked by the exact input shapes; see docs/bridge-op.md.
)doc");

REGISTER_KERNEL_BUILDER(Name("TF2TVMBridgeOp").Device(tensorflow::DEVICE_CPU),
                        tf2tvm::BridgeOpKernel);
