// The GraphDef schema, written for tf2tvm from TensorFlow's
// tensorflow/core/framework/*.proto (field numbers and wire types checked
// against the .proto files shipped in the TensorFlow 2.18.1 wheel; the
// DataType values past DT_UINT4 come from newer TensorFlow sources).
//
// It must be complete: protobufjs skips fields its schema lacks, so a missing
// field would vanish from every graph we write back. decodeGraphDef therefore
// also walks the wire format against this schema and refuses unknown fields.
//
// Deliberate departures from TensorFlow's files, all wire-compatible:
// - One proto3 file instead of many. graph_debug_info.proto is proto2 in
//   TensorFlow; protobufjs writes a scalar field exactly when the decoded
//   object owns it, whatever the syntax, so bytes survive either way.
// - Maps whose keys are 64-bit (GraphDebugInfo.frames_by_id, traces_by_id) are
//   spelled as repeated key/value entry messages: protobufjs decodes such keys
//   into 8-character hash strings that its encoder then misreads as decimal.
// - The other maps keyed by integers (FunctionDef.arg_attr,
//   resource_arg_unique_id) and the remaining GraphDebugInfo maps are entry
//   lists too, because a JS object reorders integer-like keys and so would
//   change the bytes. NodeDef.attr and the other string-keyed maps stay maps:
//   their keys are identifiers, whose order a JS object keeps.

import protobuf from 'protobufjs';

const GRAPHDEF_PROTO = `
syntax = "proto3";
package tensorflow;

enum DataType {
  DT_INVALID = 0;
  DT_FLOAT = 1;
  DT_DOUBLE = 2;
  DT_INT32 = 3;
  DT_UINT8 = 4;
  DT_INT16 = 5;
  DT_INT8 = 6;
  DT_STRING = 7;
  DT_COMPLEX64 = 8;
  DT_INT64 = 9;
  DT_BOOL = 10;
  DT_QINT8 = 11;
  DT_QUINT8 = 12;
  DT_QINT32 = 13;
  DT_BFLOAT16 = 14;
  DT_QINT16 = 15;
  DT_QUINT16 = 16;
  DT_UINT16 = 17;
  DT_COMPLEX128 = 18;
  DT_HALF = 19;
  DT_RESOURCE = 20;
  DT_VARIANT = 21;
  DT_UINT32 = 22;
  DT_UINT64 = 23;
  DT_FLOAT8_E5M2 = 24;
  DT_FLOAT8_E4M3FN = 25;
  DT_FLOAT8_E4M3FNUZ = 26;
  DT_FLOAT8_E4M3B11FNUZ = 27;
  DT_FLOAT8_E5M2FNUZ = 28;
  DT_INT4 = 29;
  DT_UINT4 = 30;
  DT_INT2 = 31;
  DT_UINT2 = 32;
  DT_FLOAT_REF = 101;
  DT_DOUBLE_REF = 102;
  DT_INT32_REF = 103;
  DT_UINT8_REF = 104;
  DT_INT16_REF = 105;
  DT_INT8_REF = 106;
  DT_STRING_REF = 107;
  DT_COMPLEX64_REF = 108;
  DT_INT64_REF = 109;
  DT_BOOL_REF = 110;
  DT_QINT8_REF = 111;
  DT_QUINT8_REF = 112;
  DT_QINT32_REF = 113;
  DT_BFLOAT16_REF = 114;
  DT_QINT16_REF = 115;
  DT_QUINT16_REF = 116;
  DT_UINT16_REF = 117;
  DT_COMPLEX128_REF = 118;
  DT_HALF_REF = 119;
  DT_RESOURCE_REF = 120;
  DT_VARIANT_REF = 121;
  DT_UINT32_REF = 122;
  DT_UINT64_REF = 123;
  DT_FLOAT8_E5M2_REF = 124;
  DT_FLOAT8_E4M3FN_REF = 125;
  DT_FLOAT8_E4M3FNUZ_REF = 126;
  DT_FLOAT8_E4M3B11FNUZ_REF = 127;
  DT_FLOAT8_E5M2FNUZ_REF = 128;
  DT_INT4_REF = 129;
  DT_UINT4_REF = 130;
  DT_INT2_REF = 131;
  DT_UINT2_REF = 132;
}

message GraphDef {
  repeated NodeDef node = 1;
  FunctionDefLibrary library = 2;
  int32 version = 3 [deprecated = true];
  VersionDef versions = 4;
  GraphDebugInfo debug_info = 5;
}

message VersionDef {
  int32 producer = 1;
  int32 min_consumer = 2;
  repeated int32 bad_consumers = 3;
}

message NodeDef {
  message ExperimentalDebugInfo {
    repeated string original_node_names = 1;
    repeated string original_func_names = 2;
  }
  string name = 1;
  string op = 2;
  repeated string input = 3;
  string device = 4;
  map<string, AttrValue> attr = 5;
  ExperimentalDebugInfo experimental_debug_info = 6;
  FullTypeDef experimental_type = 7;
}

message AttrValue {
  message ListValue {
    repeated bytes s = 2;
    repeated int64 i = 3;
    repeated float f = 4;
    repeated bool b = 5;
    repeated DataType type = 6;
    repeated TensorShapeProto shape = 7;
    repeated TensorProto tensor = 8;
    repeated NameAttrList func = 9;
  }
  oneof value {
    ListValue list = 1;
    bytes s = 2;
    int64 i = 3;
    float f = 4;
    bool b = 5;
    DataType type = 6;
    TensorShapeProto shape = 7;
    TensorProto tensor = 8;
    string placeholder = 9;
    NameAttrList func = 10;
  }
}

message NameAttrList {
  string name = 1;
  map<string, AttrValue> attr = 2;
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated float float_val = 5;
  repeated double double_val = 6;
  repeated int32 int_val = 7;
  repeated bytes string_val = 8;
  repeated float scomplex_val = 9;
  repeated int64 int64_val = 10;
  repeated bool bool_val = 11;
  repeated double dcomplex_val = 12;
  repeated int32 half_val = 13;
  repeated ResourceHandleProto resource_handle_val = 14;
  repeated VariantTensorDataProto variant_val = 15;
  repeated uint32 uint32_val = 16;
  repeated uint64 uint64_val = 17;
  bytes float8_val = 18;
}

message VariantTensorDataProto {
  string type_name = 1;
  bytes metadata = 2;
  repeated TensorProto tensors = 3;
}

message ResourceHandleProto {
  message DtypeAndShape {
    DataType dtype = 1;
    TensorShapeProto shape = 2;
  }
  string device = 1;
  string container = 2;
  string name = 3;
  uint64 hash_code = 4;
  string maybe_type_name = 5;
  repeated DtypeAndShape dtypes_and_shapes = 6;
  reserved 7;
}

message FunctionDefLibrary {
  repeated FunctionDef function = 1;
  repeated GradientDef gradient = 2;
  repeated RegisteredGradient registered_gradients = 3;
}

message FunctionDef {
  message ArgAttrs {
    map<string, AttrValue> attr = 1;
  }
  // map<uint32, ArgAttrs> on the wire.
  message ArgAttrEntry {
    uint32 key = 1;
    ArgAttrs value = 2;
  }
  // map<uint32, uint32> on the wire.
  message ResourceArgUniqueIdEntry {
    uint32 key = 1;
    uint32 value = 2;
  }
  OpDef signature = 1;
  reserved 2;
  repeated NodeDef node_def = 3;
  map<string, string> ret = 4;
  map<string, AttrValue> attr = 5;
  map<string, string> control_ret = 6;
  repeated ArgAttrEntry arg_attr = 7;
  repeated ResourceArgUniqueIdEntry resource_arg_unique_id = 8;
}

message GradientDef {
  string function_name = 1;
  string gradient_func = 2;
}

message RegisteredGradient {
  string gradient_func = 1;
  string registered_op_type = 2;
}

message OpDef {
  message ArgDef {
    string name = 1;
    string description = 2;
    DataType type = 3;
    string type_attr = 4;
    string number_attr = 5;
    string type_list_attr = 6;
    repeated ResourceHandleProto.DtypeAndShape handle_data = 7;
    bool is_ref = 16;
    FullTypeDef experimental_full_type = 17;
  }
  message AttrDef {
    string name = 1;
    string type = 2;
    AttrValue default_value = 3;
    string description = 4;
    bool has_minimum = 5;
    int64 minimum = 6;
    AttrValue allowed_values = 7;
  }
  string name = 1;
  repeated ArgDef input_arg = 2;
  repeated ArgDef output_arg = 3;
  repeated AttrDef attr = 4;
  string summary = 5;
  string description = 6;
  OpDeprecation deprecation = 8;
  bool is_aggregate = 16;
  bool is_stateful = 17;
  bool is_commutative = 18;
  bool allows_uninitialized_input = 19;
  repeated string control_output = 20;
  bool is_distributed_communication = 21;
}

message OpDeprecation {
  int32 version = 1;
  string explanation = 2;
}

enum FullTypeId {
  TFT_UNSET = 0;
  TFT_VAR = 1;
  TFT_ANY = 2;
  TFT_PRODUCT = 3;
  TFT_NAMED = 4;
  TFT_FOR_EACH = 20;
  TFT_CALLABLE = 100;
  TFT_BOOL = 200;
  TFT_UINT8 = 201;
  TFT_UINT16 = 202;
  TFT_UINT32 = 203;
  TFT_UINT64 = 204;
  TFT_INT8 = 205;
  TFT_INT16 = 206;
  TFT_INT32 = 207;
  TFT_INT64 = 208;
  TFT_HALF = 209;
  TFT_FLOAT = 210;
  TFT_DOUBLE = 211;
  TFT_COMPLEX64 = 212;
  TFT_COMPLEX128 = 213;
  TFT_STRING = 214;
  TFT_BFLOAT16 = 215;
  TFT_TENSOR = 1000;
  TFT_ARRAY = 1001;
  TFT_OPTIONAL = 1002;
  TFT_LITERAL = 1003;
  TFT_ENCODED = 1004;
  TFT_SHAPE_TENSOR = 1005;
  TFT_DATASET = 10102;
  TFT_RAGGED = 10103;
  TFT_ITERATOR = 10104;
  TFT_MUTEX_LOCK = 10202;
  TFT_LEGACY_VARIANT = 10203;
}

message FullTypeDef {
  FullTypeId type_id = 1;
  repeated FullTypeDef args = 2;
  oneof attr {
    string s = 3;
    int64 i = 4;
  }
}

// proto2 in TensorFlow (see the note at the top of schema.ts).
message GraphDebugInfo {
  message FileLineCol {
    int32 file_index = 1;
    int32 line = 2;
    int32 col = 3;
    string func = 4;
    string code = 5;
  }
  message StackTrace {
    repeated FileLineCol file_line_cols = 1;
    repeated fixed64 frame_id = 2;
  }
  // map<string, StackTrace> on the wire.
  message TracesEntry {
    string key = 1;
    StackTrace value = 2;
  }
  // map<fixed64, FileLineCol> on the wire.
  message FramesByIdEntry {
    fixed64 key = 1;
    FileLineCol value = 2;
  }
  // map<string, fixed64> on the wire.
  message NameToTraceIdEntry {
    string key = 1;
    fixed64 value = 2;
  }
  // map<fixed64, StackTrace> on the wire.
  message TracesByIdEntry {
    fixed64 key = 1;
    StackTrace value = 2;
  }
  repeated string files = 1;
  repeated TracesEntry traces = 2;
  repeated FramesByIdEntry frames_by_id = 4;
  repeated NameToTraceIdEntry name_to_trace_id = 5;
  repeated TracesByIdEntry traces_by_id = 6;
}
`;

// keepCase: the decoded objects use TensorFlow's own field names
// (tensor_content, not tensorContent), so they read like the .proto files and
// like TensorFlow's Python API.
const parsed = protobuf.parse(GRAPHDEF_PROTO, { keepCase: true });

/** The resolved schema root; every tensorflow.* type of the GraphDef world. */
export const root: protobuf.Root = parsed.root;
root.resolveAll();

// protobufjs puts each field's default on the message prototype. Two of its
// defaults would make our typed view lie, so they are replaced (this only
// changes what reading an absent field returns; encoding looks at own
// properties only):
// - bytes default to a plain empty Array; we want an empty Uint8Array, as
//   present bytes decode to Buffers.
// - a unset oneof member reads as its type's default (AttrValue.i as Long 0),
//   so `attr.i !== undefined` would be true for every attr; we want undefined.
const EMPTY_BYTES: Uint8Array = Object.freeze(Buffer.alloc(0));

function fixDefaults(ns: protobuf.NamespaceBase): void {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type) {
      const proto = obj.ctor.prototype as Record<string, unknown>;
      for (const field of obj.fieldsArray) {
        if (field.partOf !== null) proto[field.name] = undefined;
        else if (field.type === 'bytes' && !field.repeated) proto[field.name] = EMPTY_BYTES;
      }
    }
    if (obj instanceof protobuf.Namespace) fixDefaults(obj);
  }
}
fixDefaults(root);

function lookupType(name: string): protobuf.Type {
  return root.lookupType(`tensorflow.${name}`);
}

export const GraphDefType = lookupType('GraphDef');
export const NodeDefType = lookupType('NodeDef');
export const AttrValueType = lookupType('AttrValue');
export const ListValueType = lookupType('AttrValue.ListValue');
export const NameAttrListType = lookupType('NameAttrList');
export const TensorProtoType = lookupType('TensorProto');
export const TensorShapeProtoType = lookupType('TensorShapeProto');
export const DimType = lookupType('TensorShapeProto.Dim');
export const VersionDefType = lookupType('VersionDef');
export const FunctionDefLibraryType = lookupType('FunctionDefLibrary');
export const FunctionDefType = lookupType('FunctionDef');
export const OpDefType = lookupType('OpDef');
export const ArgDefType = lookupType('OpDef.ArgDef');
