// A graph executor from one relay.build artifact, driven through TVM's C API
// only (c_runtime_api.h). Nothing here knows about TensorFlow.
//
// C API only, because the TensorFlow wheel is built with the C++11 string
// ABI and a TVM wheel may not be: C++ types must never cross that boundary.
#ifndef TF2TVM_RUNTIME_TVM_EXECUTOR_H_
#define TF2TVM_RUNTIME_TVM_EXECUTOR_H_

#include <dlpack/dlpack.h>
#include <tvm/runtime/c_runtime_api.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "parallel_launch.h"

namespace tf2tvm {

struct TensorSpec {
  DLDataType dtype;
  std::vector<int64_t> shape;
};

// TVM's spelling of a dtype ("float32", "bool", ...), as in the graph JSON.
std::string DLDataTypeName(DLDataType dtype);

// Bytes a dense tensor of this spec occupies (bool: one byte per element).
size_t NumBytes(const TensorSpec& spec);

class GraphExecutor {
 public:
  // Loads `path` (must be absolute: it goes to dlopen), creates its graph
  // executor on the CPU and checks that its inputs `in0..` and outputs match
  // the given specs exactly. `allow_zero_copy = false` binds every tensor by
  // copying, a switch for ruling out zero-copy when hunting a wrong result.
  // Error messages do not repeat the path: callers add it.
  static std::unique_ptr<GraphExecutor> Load(const std::string& path,
                                             const std::vector<TensorSpec>& inputs,
                                             const std::vector<TensorSpec>& outputs,
                                             bool allow_zero_copy, std::string* error);
  ~GraphExecutor();
  GraphExecutor(const GraphExecutor&) = delete;
  GraphExecutor& operator=(const GraphExecutor&) = delete;

  // Runs once. inputs[i] / outputs[o] are dense host buffers of the specs
  // given to Load. Calls are serialised: the executor keeps the bound
  // pointers between set_* and run. Parallel loops run on the calling
  // thread and `pool` (null: the calling thread only).
  bool Run(const void* const* inputs, void* const* outputs, TaskPool* pool, std::string* error);
  bool Run(const void* const* inputs, void* const* outputs, std::string* error) {
    return Run(inputs, outputs, nullptr, error);
  }

  // Whether parallel loops go to Run's pool: false when the library has no
  // __TVMBackendParallelLaunch pointer to redirect, or uses
  // TVMBackendParallelBarrier (its tasks would then have to run at the same
  // time, which the launcher does not promise); the runtime's own launcher
  // then runs them.
  bool parallel() const { return parallel_; }

  // How each tensor is bound and, when copied, why; for logs.
  std::string DescribeBindings() const;

 private:
  // How one input or output is exchanged with the executor. The mode is
  // fixed at load: in hhb-tvm 3.2.3, binding a tensor zero-copy repoints
  // the executor's own entry at the bound buffer, so a later set_input or
  // get_output on it would touch a buffer TensorFlow may have freed.
  struct Binding {
    std::string name;       // "in0" / "out0"
    int64_t tvm_index = 0;  // executor input or output index
    TensorSpec spec;
    size_t num_bytes = 0;
    bool zero_copy = false;
    std::string why_copied;
    // 64-byte-aligned buffer of our own, used when a zero-copy tensor's
    // caller buffer is not aligned; allocated on first need.
    void* staging = nullptr;
    // Zero-copy only: the buffer the executor points at since the last
    // successful set_*_zero_copy. Binding the same address again would
    // change nothing (the executor's state depends on the address only), so
    // the call is skipped; TensorFlow's allocator often hands a kernel the
    // same addresses step after step.
    const void* bound = nullptr;
  };

  GraphExecutor() = default;
  bool GetMember(const char* name, TVMFunctionHandle* out, std::string* error);
  bool Bind(TVMFunctionHandle setter, const char* setter_name, Binding* binding, void* data,
            bool copy_in, std::string* error);

  TVMModuleHandle library_ = nullptr;
  TVMModuleHandle executor_ = nullptr;
  TVMFunctionHandle set_input_ = nullptr;
  TVMFunctionHandle set_input_zero_copy_ = nullptr;
  TVMFunctionHandle set_output_zero_copy_ = nullptr;
  TVMFunctionHandle get_output_ = nullptr;
  TVMFunctionHandle run_ = nullptr;
  std::vector<Binding> inputs_;
  std::vector<Binding> outputs_;
  bool parallel_ = false;
  std::mutex mu_;
};

}  // namespace tf2tvm

#endif  // TF2TVM_RUNTIME_TVM_EXECUTOR_H_
