// Reads the graph-executor JSON embedded in a relay.build library
// (`get_graph_json`), to check an artifact against its bridge node and to
// decide which tensors may be bound zero-copy.
//
// Why the kernel needs it: TVM's `set_output_zero_copy` only redirects the
// arguments of the op that writes an output entry. When the planner aliases
// that entry's storage with another entry (a trailing reshape compiled to a
// `__nop`, an input returned as an output, a tuple returning the same value
// twice), the bound buffer is never written. Checked on hhb-tvm 3.2.3
// (TVM 0.16.dev0): dense -> reshape with a zero-copy output left the output
// untouched. Only the graph's storage plan tells these cases apart.
#ifndef TF2TVM_RUNTIME_GRAPH_JSON_H_
#define TF2TVM_RUNTIME_GRAPH_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tf2tvm {

// A parsed JSON value; just enough for the graph JSON (numbers as double).
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<JsonValue> items;                           // kArray
  std::vector<std::pair<std::string, JsonValue>> fields;  // kObject, in file order

  // Field of an object, or nullptr (also when this is not an object).
  const JsonValue* Find(const std::string& key) const;
};

bool ParseJson(const std::string& text, JsonValue* out, std::string* error);

// One data entry of the graph (a node output): what TVM will expect of a
// buffer bound to it, and whether binding one zero-copy is known to work.
struct GraphTensor {
  std::string dtype;  // TVM spelling: "float32", "bool", ...
  std::vector<int64_t> shape;
  bool zero_copy_safe = false;
  std::string why_not_zero_copy;  // set when !zero_copy_safe, for logs
};

struct GraphInfo {
  std::vector<std::string> input_names;  // by executor input index (arg_nodes order)
  std::vector<GraphTensor> inputs;       // same order
  std::vector<GraphTensor> outputs;      // by output index (heads order)
};

// Reads the executor JSON. Zero-copy is judged conservatively: an entry
// qualifies only if no other entry shares its storage and (for outputs) a
// real compiled op, not a `__nop`, writes it, and no other output is the
// same entry. Anything else is bound by copying, which is always correct.
bool AnalyzeGraphJson(const std::string& json, GraphInfo* info, std::string* error);

}  // namespace tf2tvm

#endif  // TF2TVM_RUNTIME_GRAPH_JSON_H_
