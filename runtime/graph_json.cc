#include "graph_json.h"

#include <cmath>
#include <cstdlib>
#include <map>

namespace tf2tvm {

const JsonValue* JsonValue::Find(const std::string& key) const {
  for (const auto& field : fields) {
    if (field.first == key) return &field.second;
  }
  return nullptr;
}

namespace {

// Recursive-descent parser over the whole text. The JSON comes from an
// artifact whose sha256 was already checked, so the aim is clear failure on
// anything unexpected, not speed or leniency.
class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  bool ParseDocument(JsonValue* out, std::string* error) {
    bool ok = ParseValue(out, 0) && (SkipSpace(), pos_ == text_.size());
    if (!ok) *error = "invalid JSON near offset " + std::to_string(pos_) + ": " + problem_;
    return ok;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool Fail(const char* problem) {
    if (problem_.empty()) problem_ = problem;
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ConsumeWord(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (text_.compare(pos_, n, word) != 0) return Fail("unknown literal");
    pos_ += n;
    return true;
  }

  bool ParseValue(JsonValue* out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end");
    char c = text_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      out->kind = JsonValue::Kind::kString;
      return ParseString(&out->text);
    }
    if (c == 't' || c == 'f') {
      out->kind = JsonValue::Kind::kBool;
      out->boolean = c == 't';
      return ConsumeWord(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out->kind = JsonValue::Kind::kNull;
      return ConsumeWord("null");
    }
    return ParseNumber(out);
  }

  bool ParseObject(JsonValue* out, int depth) {
    out->kind = JsonValue::Kind::kObject;
    ++pos_;  // '{'
    if (Consume('}')) return true;
    do {
      SkipSpace();
      std::string key;
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a key");
      if (!ParseString(&key)) return false;
      if (!Consume(':')) return Fail("expected ':'");
      out->fields.emplace_back(std::move(key), JsonValue());
      if (!ParseValue(&out->fields.back().second, depth + 1)) return false;
    } while (Consume(','));
    return Consume('}') || Fail("expected ',' or '}'");
  }

  bool ParseArray(JsonValue* out, int depth) {
    out->kind = JsonValue::Kind::kArray;
    ++pos_;  // '['
    if (Consume(']')) return true;
    do {
      out->items.emplace_back();
      if (!ParseValue(&out->items.back(), depth + 1)) return false;
    } while (Consume(','));
    return Consume(']') || Fail("expected ',' or ']'");
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      char escape = text_[pos_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/': out->push_back(escape); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          // Names in graph JSON are ASCII identifiers; keep \u escapes
          // correct for the Basic Multilingual Plane and do no more.
          if (pos_ + 4 > text_.size()) return Fail("short \\u escape");
          unsigned code = std::strtoul(text_.substr(pos_, 4).c_str(), nullptr, 16);
          pos_ += 4;
          if (code < 0x80) {
            out->push_back(static_cast<char>(code));
          } else if (code < 0x800) {
            out->push_back(static_cast<char>(0xc0 | (code >> 6)));
            out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
          } else {
            out->push_back(static_cast<char>(0xe0 | (code >> 12)));
            out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
            out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
          }
          break;
        }
        default: return Fail("bad escape");
      }
    }
    return Fail("unterminated string");
  }

  bool ParseNumber(JsonValue* out) {
    const char* begin = text_.c_str() + pos_;
    char* end = nullptr;
    double value = std::strtod(begin, &end);
    if (end == begin) return Fail("unexpected character");
    pos_ += static_cast<size_t>(end - begin);
    out->kind = JsonValue::Kind::kNumber;
    out->number = value;
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
  std::string problem_;
};

// Typed accessors that turn a shape mismatch into a message naming the field.
class GraphReader {
 public:
  explicit GraphReader(std::string* error) : error_(error) {}

  const JsonValue* Field(const JsonValue& object, const char* key, JsonValue::Kind kind) {
    const JsonValue* value = object.Find(key);
    if (value == nullptr || value->kind != kind) {
      Fail(std::string("graph JSON: missing or mistyped field '") + key + "'");
      return nullptr;
    }
    return value;
  }

  bool Int(const JsonValue& value, int64_t* out) {
    if (value.kind != JsonValue::Kind::kNumber || value.number != std::floor(value.number)) {
      return Fail("graph JSON: expected an integer");
    }
    *out = static_cast<int64_t>(value.number);
    return true;
  }

  // attrs.<key> is written by TVM as ["list_<type>", [values...]].
  const JsonValue* TypedList(const JsonValue& attrs, const char* key, size_t size) {
    const JsonValue* pair = Field(attrs, key, JsonValue::Kind::kArray);
    if (pair == nullptr) return nullptr;
    if (pair->items.size() != 2 || pair->items[1].kind != JsonValue::Kind::kArray ||
        pair->items[1].items.size() != size) {
      Fail(std::string("graph JSON: attrs.") + key + " does not hold one value per entry");
      return nullptr;
    }
    return &pair->items[1];
  }

  bool Fail(const std::string& message) {
    if (error_->empty()) *error_ = message;
    return false;
  }

 private:
  std::string* error_;
};

}  // namespace

bool ParseJson(const std::string& text, JsonValue* out, std::string* error) {
  return Parser(text).ParseDocument(out, error);
}

bool AnalyzeGraphJson(const std::string& json, GraphInfo* info, std::string* error) {
  JsonValue root;
  if (!ParseJson(json, &root, error)) return false;
  error->clear();
  GraphReader read(error);
  using Kind = JsonValue::Kind;

  const JsonValue* nodes = read.Field(root, "nodes", Kind::kArray);
  const JsonValue* arg_nodes = read.Field(root, "arg_nodes", Kind::kArray);
  const JsonValue* heads = read.Field(root, "heads", Kind::kArray);
  const JsonValue* row_ptr = read.Field(root, "node_row_ptr", Kind::kArray);
  const JsonValue* attrs = read.Field(root, "attrs", Kind::kObject);
  if (!nodes || !arg_nodes || !heads || !row_ptr || !attrs) return false;
  if (row_ptr->items.size() != nodes->items.size() + 1) {
    return read.Fail("graph JSON: node_row_ptr does not match nodes");
  }

  // node_row_ptr[n] is the first entry id of node n; the last value counts entries.
  std::vector<int64_t> first_entry(row_ptr->items.size());
  for (size_t i = 0; i < first_entry.size(); ++i) {
    if (!read.Int(row_ptr->items[i], &first_entry[i])) return false;
  }
  const size_t num_entries = static_cast<size_t>(first_entry.back());

  const JsonValue* dltypes = read.TypedList(*attrs, "dltype", num_entries);
  const JsonValue* storage = read.TypedList(*attrs, "storage_id", num_entries);
  const JsonValue* shapes = read.TypedList(*attrs, "shape", num_entries);
  if (!dltypes || !storage || !shapes) return false;

  std::vector<int64_t> storage_id(num_entries);
  std::map<int64_t, int> entries_per_storage;
  for (size_t e = 0; e < num_entries; ++e) {
    if (!read.Int(storage->items[e], &storage_id[e])) return false;
    ++entries_per_storage[storage_id[e]];
  }

  // (node id, output index) -> entry id, with the checks TVM itself would do.
  auto entry_of = [&](const JsonValue& ref, int64_t* node, int64_t* entry) {
    int64_t index = 0;
    if (ref.kind != Kind::kArray || ref.items.size() < 2 || !read.Int(ref.items[0], node) ||
        !read.Int(ref.items[1], &index) || *node < 0 ||
        *node >= static_cast<int64_t>(nodes->items.size())) {
      return read.Fail("graph JSON: bad node reference");
    }
    *entry = first_entry[*node] + index;
    if (index < 0 || *entry >= first_entry[*node + 1]) {
      return read.Fail("graph JSON: node output index out of range");
    }
    return true;
  };

  auto describe = [&](int64_t entry, GraphTensor* tensor) {
    if (dltypes->items[entry].kind != Kind::kString || shapes->items[entry].kind != Kind::kArray) {
      return read.Fail("graph JSON: bad dltype or shape");
    }
    tensor->dtype = dltypes->items[entry].text;
    // The graph JSON spells bool as its storage type; use the dtype name.
    if (tensor->dtype == "uint1") tensor->dtype = "bool";
    for (const JsonValue& dim : shapes->items[entry].items) {
      int64_t size = 0;
      if (!read.Int(dim, &size)) return false;
      tensor->shape.push_back(size);
    }
    if (entries_per_storage[storage_id[entry]] > 1) {
      tensor->why_not_zero_copy = "its storage is shared with another tensor of the graph";
    }
    return true;
  };

  info->input_names.clear();
  info->inputs.clear();
  info->outputs.clear();

  std::vector<int64_t> input_entries;
  for (const JsonValue& arg : arg_nodes->items) {
    int64_t node = 0;
    if (!read.Int(arg, &node) || node < 0 || node >= static_cast<int64_t>(nodes->items.size())) {
      return read.Fail("graph JSON: bad arg_nodes entry");
    }
    const JsonValue* name = read.Field(nodes->items[node], "name", Kind::kString);
    if (name == nullptr) return false;
    GraphTensor tensor;
    if (!describe(first_entry[node], &tensor)) return false;
    input_entries.push_back(first_entry[node]);
    info->input_names.push_back(name->text);
    info->inputs.push_back(std::move(tensor));
  }

  std::map<int64_t, int> heads_per_entry;
  std::vector<int64_t> head_entries;
  for (const JsonValue& head : heads->items) {
    int64_t node = 0, entry = 0;
    if (!entry_of(head, &node, &entry)) return false;
    head_entries.push_back(entry);
    ++heads_per_entry[entry];

    GraphTensor tensor;
    if (!describe(entry, &tensor)) return false;
    const JsonValue& node_json = nodes->items[node];
    const JsonValue* op = read.Field(node_json, "op", Kind::kString);
    if (op == nullptr) return false;
    const JsonValue* node_attrs = node_json.Find("attrs");
    const JsonValue* func = node_attrs ? node_attrs->Find("func_name") : nullptr;
    if (op->text == "null") {
      tensor.why_not_zero_copy = "it is a graph input or constant returned as is";
    } else if (func != nullptr && func->kind == Kind::kString && func->text == "__nop") {
      tensor.why_not_zero_copy = "it aliases another tensor (a reshape compiled to __nop)";
    }
    info->outputs.push_back(std::move(tensor));
  }
  for (size_t o = 0; o < info->outputs.size(); ++o) {
    if (heads_per_entry[head_entries[o]] > 1 && info->outputs[o].why_not_zero_copy.empty()) {
      info->outputs[o].why_not_zero_copy = "the same tensor is returned more than once";
    }
  }

  // An input returned as an output must stay in the executor's own buffer,
  // where the output copy reads it.
  for (size_t i = 0; i < info->inputs.size(); ++i) {
    if (heads_per_entry.count(input_entries[i]) && info->inputs[i].why_not_zero_copy.empty()) {
      info->inputs[i].why_not_zero_copy = "it is also returned as an output";
    }
  }

  for (GraphTensor& t : info->inputs) t.zero_copy_safe = t.why_not_zero_copy.empty();
  for (GraphTensor& t : info->outputs) t.zero_copy_safe = t.why_not_zero_copy.empty();
  return true;
}

}  // namespace tf2tvm
