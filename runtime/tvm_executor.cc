#include "tvm_executor.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "graph_json.h"

namespace tf2tvm {
namespace {

// TVM's graph executor refuses a zero-copy buffer that is not aligned to
// this (kAllocAlignment in TVM's runtime).
constexpr uintptr_t kTvmAlignment = 64;

bool IsAligned(const void* data) {
  // Null (an empty tensor) is "aligned" to TVM's check but compiled code may
  // still dereference it, so treat it as needing the staging buffer.
  return data != nullptr && reinterpret_cast<uintptr_t>(data) % kTvmAlignment == 0;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << ']';
  return out.str();
}

// One packed call. TVM reports failure by return code; the message is in
// thread-local storage until the next failing call on this thread. `what`
// and `subject` name the call in the error; they are only joined on failure
// because this runs for every tensor of every step.
bool Call(TVMFunctionHandle function, const char* what, const std::string& subject, TVMValue* args,
          int* codes, int num_args, TVMValue* ret, int* ret_code, std::string* error) {
  TVMValue unused_ret;
  int unused_code;
  if (TVMFuncCall(function, args, codes, num_args, ret ? ret : &unused_ret,
                  ret_code ? ret_code : &unused_code) != 0) {
    *error = std::string(what) + "(" + subject + ") failed: " + TVMGetLastError();
    return false;
  }
  return true;
}

const std::string kNoSubject;

DLTensor HostTensor(void* data, const TensorSpec& spec) {
  DLTensor tensor;
  tensor.data = data;
  tensor.device = DLDevice{kDLCPU, 0};
  tensor.ndim = static_cast<int>(spec.shape.size());
  tensor.dtype = spec.dtype;
  // TVM reads the shape only; DLTensor just lacks the const.
  tensor.shape = const_cast<int64_t*>(spec.shape.data());
  tensor.strides = nullptr;  // dense, row-major
  tensor.byte_offset = 0;
  return tensor;
}

}  // namespace

std::string DLDataTypeName(DLDataType dtype) {
  std::string name;
  switch (dtype.code) {
    case kDLInt: name = "int"; break;
    case kDLUInt: name = dtype.bits == 1 ? "bool" : "uint"; break;
    case kDLFloat: name = "float"; break;
    case kDLBfloat: name = "bfloat"; break;
    default: name = "code" + std::to_string(dtype.code) + "_"; break;
  }
  if (name != "bool") name += std::to_string(dtype.bits);
  if (dtype.lanes != 1) name += "x" + std::to_string(dtype.lanes);
  return name;
}

size_t NumBytes(const TensorSpec& spec) {
  size_t elements = 1;
  for (int64_t dim : spec.shape) elements *= static_cast<size_t>(dim);
  return elements * ((spec.dtype.bits * spec.dtype.lanes + 7) / 8);
}

std::unique_ptr<GraphExecutor> GraphExecutor::Load(const std::string& path,
                                                   const std::vector<TensorSpec>& inputs,
                                                   const std::vector<TensorSpec>& outputs,
                                                   bool allow_zero_copy, std::string* error) {
  std::unique_ptr<GraphExecutor> self(new GraphExecutor());
  if (TVMModLoadFromFile(path.c_str(), "so", &self->library_) != 0) {
    *error = "TVMModLoadFromFile(" + path + ") failed: " + TVMGetLastError();
    return nullptr;
  }

  // The graph JSON tells how tensors are stored, which decides zero-copy,
  // and lets a mismatch with the bridge node fail here, readably, rather
  // than as an ICHECK deep in TVM at the first run.
  GraphInfo graph;
  {
    TVMFunctionHandle get_json = nullptr;
    if (TVMModGetFunction(self->library_, "get_graph_json", 0, &get_json) != 0 ||
        get_json == nullptr) {
      *error = "no get_graph_json: not a relay.build graph-executor library";
      return nullptr;
    }
    TVMValue ret;
    int ret_code = 0;
    bool ok =
        Call(get_json, "get_graph_json", kNoSubject, nullptr, nullptr, 0, &ret, &ret_code, error);
    // A returned string lives in TVM's thread-local storage: copy it now.
    std::string json = ok && ret_code == kTVMStr ? ret.v_str : "";
    TVMFuncFree(get_json);
    if (!ok) return nullptr;
    if (!AnalyzeGraphJson(json, &graph, error)) return nullptr;
  }

  {
    TVMFunctionHandle create = nullptr;
    if (TVMModGetFunction(self->library_, "default", 0, &create) != 0 || create == nullptr) {
      *error = "no 'default' executor factory";
      return nullptr;
    }
    TVMValue arg;
    arg.v_device = DLDevice{kDLCPU, 0};
    int arg_code = kDLDevice;
    TVMValue ret;
    int ret_code = 0;
    bool ok = Call(create, "default", "kDLCPU", &arg, &arg_code, 1, &ret, &ret_code, error);
    TVMFuncFree(create);
    if (!ok) return nullptr;
    if (ret_code != kTVMModuleHandle) {
      *error = "default() did not return a module";
      return nullptr;
    }
    self->executor_ = ret.v_handle;
  }

  TVMFunctionHandle get_num_outputs = nullptr, get_input_index = nullptr;
  bool have_members =
      self->GetMember("set_input", &self->set_input_, error) &&
      self->GetMember("set_input_zero_copy", &self->set_input_zero_copy_, error) &&
      self->GetMember("set_output_zero_copy", &self->set_output_zero_copy_, error) &&
      self->GetMember("get_output", &self->get_output_, error) &&
      self->GetMember("run", &self->run_, error) &&
      self->GetMember("get_num_outputs", &get_num_outputs, error) &&
      self->GetMember("get_input_index", &get_input_index, error);
  // Frees the two query functions on every path out of the checks below.
  std::unique_ptr<void, int (*)(void*)> free_outputs(get_num_outputs, TVMFuncFree);
  std::unique_ptr<void, int (*)(void*)> free_index(get_input_index, TVMFuncFree);
  if (!have_members) return nullptr;

  TVMValue ret;
  int ret_code = 0;
  if (!Call(get_num_outputs, "get_num_outputs", kNoSubject, nullptr, nullptr, 0, &ret, &ret_code,
            error)) {
    return nullptr;
  }
  if (ret.v_int64 != static_cast<int64_t>(outputs.size()) ||
      graph.outputs.size() != outputs.size()) {
    *error = "the artifact has " + std::to_string(ret.v_int64) + " outputs, the bridge node " +
             std::to_string(outputs.size());
    return nullptr;
  }

  auto check_spec = [&](const std::string& name, const GraphTensor& graph_tensor,
                        const TensorSpec& spec) {
    std::string want = DLDataTypeName(spec.dtype) + ShapeText(spec.shape);
    std::string have = graph_tensor.dtype + ShapeText(graph_tensor.shape);
    if (want == have) return true;
    *error = name + " is " + have + " in the artifact but " + want + " on the bridge node";
    return false;
  };

  for (size_t i = 0; i < inputs.size(); ++i) {
    Binding binding;
    binding.name = "in" + std::to_string(i);
    TVMValue arg;
    arg.v_str = binding.name.c_str();
    int arg_code = kTVMStr;
    if (!Call(get_input_index, "get_input_index", binding.name, &arg, &arg_code, 1, &ret, &ret_code,
              error)) {
      return nullptr;
    }
    binding.tvm_index = ret.v_int64;
    // The graph JSON lists inputs in the executor's index order; a name
    // mismatch would mean reading another tensor's storage plan.
    if (binding.tvm_index < 0 ||
        static_cast<size_t>(binding.tvm_index) >= graph.input_names.size() ||
        graph.input_names[binding.tvm_index] != binding.name) {
      *error = "the artifact has no input named " + binding.name +
               " (the Relay function must name its data inputs %in0, %in1, ...)";
      return nullptr;
    }
    const GraphTensor& graph_tensor = graph.inputs[binding.tvm_index];
    if (!check_spec(binding.name, graph_tensor, inputs[i])) return nullptr;
    binding.spec = inputs[i];
    binding.num_bytes = NumBytes(inputs[i]);
    binding.zero_copy = allow_zero_copy && graph_tensor.zero_copy_safe;
    binding.why_copied = allow_zero_copy ? graph_tensor.why_not_zero_copy : "zero-copy disabled";
    self->inputs_.push_back(std::move(binding));
  }

  for (size_t o = 0; o < outputs.size(); ++o) {
    Binding binding;
    binding.name = "out" + std::to_string(o);
    binding.tvm_index = static_cast<int64_t>(o);
    if (!check_spec(binding.name, graph.outputs[o], outputs[o])) return nullptr;
    binding.spec = outputs[o];
    binding.num_bytes = NumBytes(outputs[o]);
    binding.zero_copy = allow_zero_copy && graph.outputs[o].zero_copy_safe;
    binding.why_copied =
        allow_zero_copy ? graph.outputs[o].why_not_zero_copy : "zero-copy disabled";
    self->outputs_.push_back(std::move(binding));
  }
  self->parallel_ = RedirectParallelLaunch(path) == Redirect::kRedirected;
  return self;
}

GraphExecutor::~GraphExecutor() {
  // Functions first: each holds a reference to its module.
  for (TVMFunctionHandle f :
       {set_input_, set_input_zero_copy_, set_output_zero_copy_, get_output_, run_}) {
    if (f != nullptr) TVMFuncFree(f);
  }
  if (executor_ != nullptr) TVMModFree(executor_);
  if (library_ != nullptr) TVMModFree(library_);
  for (auto* bindings : {&inputs_, &outputs_}) {
    for (Binding& b : *bindings) std::free(b.staging);
  }
}

bool GraphExecutor::GetMember(const char* name, TVMFunctionHandle* out, std::string* error) {
  if (TVMModGetFunction(executor_, name, 0, out) != 0 || *out == nullptr) {
    *error = std::string("the graph executor has no function ") + name;
    return false;
  }
  return true;
}

// Hands one buffer to `setter` (a set_* function taking index and tensor).
// For zero-copy bindings, a misaligned buffer is swapped for the staging
// buffer, filled from it when `copy_in`, and the call is skipped when the
// executor already points at the buffer.
bool GraphExecutor::Bind(TVMFunctionHandle setter, const char* setter_name, Binding* binding,
                         void* data, bool copy_in, std::string* error) {
  if (binding->zero_copy && !IsAligned(data)) {
    if (binding->staging == nullptr) {
      // aligned_alloc wants a size that is a multiple of the alignment.
      size_t size = (binding->num_bytes + kTvmAlignment - 1) / kTvmAlignment * kTvmAlignment;
      binding->staging = std::aligned_alloc(kTvmAlignment, size ? size : kTvmAlignment);
      if (binding->staging == nullptr) {
        *error = "out of memory for a staging buffer of " + binding->name;
        return false;
      }
    }
    if (copy_in && binding->num_bytes > 0) std::memcpy(binding->staging, data, binding->num_bytes);
    data = binding->staging;
  }
  if (binding->zero_copy && data == binding->bound) return true;
  DLTensor tensor = HostTensor(data, binding->spec);
  TVMValue args[2];
  int codes[2] = {kDLInt, kTVMDLTensorHandle};
  args[0].v_int64 = binding->tvm_index;
  args[1].v_handle = &tensor;
  if (!Call(setter, setter_name, binding->name, args, codes, 2, nullptr, nullptr, error)) {
    binding->bound = nullptr;  // unknown after a failed call: bind again next time
    return false;
  }
  if (binding->zero_copy) binding->bound = data;
  return true;
}

bool GraphExecutor::Run(const void* const* inputs, void* const* outputs, TaskPool* pool,
                        std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);

  for (size_t i = 0; i < inputs_.size(); ++i) {
    Binding& b = inputs_[i];
    // TVM only reads inputs; the API just has no const.
    void* data = const_cast<void*>(inputs[i]);
    bool ok = b.zero_copy ? Bind(set_input_zero_copy_, "set_input_zero_copy", &b, data, true, error)
                          : Bind(set_input_, "set_input", &b, data, true, error);
    if (!ok) return false;
  }
  for (size_t o = 0; o < outputs_.size(); ++o) {
    Binding& b = outputs_[o];
    if (b.zero_copy &&
        !Bind(set_output_zero_copy_, "set_output_zero_copy", &b, outputs[o], false, error)) {
      return false;
    }
  }

  bool ran;
  {
    ScopedRun scoped(pool);
    ran = Call(run_, "run", kNoSubject, nullptr, nullptr, 0, nullptr, nullptr, error);
  }
  if (!ran) return false;

  for (size_t o = 0; o < outputs_.size(); ++o) {
    Binding& b = outputs_[o];
    if (b.zero_copy) {
      if (!IsAligned(outputs[o]) && b.num_bytes > 0) {
        std::memcpy(outputs[o], b.staging, b.num_bytes);
      }
      continue;
    }
    DLTensor tensor = HostTensor(outputs[o], b.spec);
    TVMValue args[2];
    int codes[2] = {kDLInt, kTVMDLTensorHandle};
    args[0].v_int64 = b.tvm_index;
    args[1].v_handle = &tensor;
    if (!Call(get_output_, "get_output", b.name, args, codes, 2, nullptr, nullptr, error)) {
      return false;
    }
  }
  return true;
}

std::string GraphExecutor::DescribeBindings() const {
  std::ostringstream out;
  for (const auto* bindings : {&inputs_, &outputs_}) {
    for (const Binding& b : *bindings) {
      out << (out.tellp() > 0 ? "; " : "") << b.name << ' ' << DLDataTypeName(b.spec.dtype)
          << ShapeText(b.spec.shape) << ": "
          << (b.zero_copy ? std::string("zero-copy") : "copied (" + b.why_copied + ")");
    }
  }
  return out.str();
}

}  // namespace tf2tvm
