"""Writes a binary GraphDef as protobuf text (compile --emit-pbtxt: the
rewritten graph in a form that diffs). TensorFlow only: never imports tvm.

Usage: graph_text.py --graph FILE.pb --out FILE.pbtxt
Prints one JSON document on stdout: {"ok": true, "path": FILE.pbtxt}.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf
from google.protobuf import text_format


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    graph_def = tf.compat.v1.GraphDef()
    with open(a.graph, "rb") as f:
        graph_def.ParseFromString(f.read())
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text_format.MessageToString(graph_def))
    json.dump({"ok": True, "path": a.out}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
