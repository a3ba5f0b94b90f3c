#!/usr/bin/python3
"""Writes keras_resnet50_names.tsv: the weight names and shapes (no values) of the Keras Applications
ResNet50 as listed, in order, in a TF.js layers-format manifest, one "name<TAB>shape" line per tensor.

    /usr/bin/python3 keras_names.py path/to/ResNet50/model.json

The weights themselves are never committed; this list lets the tests check that every real tensor name
maps onto resnet50-keras with the right shape.
"""
import json
import os
import sys

manifest = json.load(open(sys.argv[1]))["weightsManifest"]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_resnet50_names.tsv")
with open(out, "w") as f:
    for group in manifest:
        for w in group["weights"]:
            assert w["dtype"] == "float32", w
            f.write("%s\t%s\n" % (w["name"], ",".join(str(d) for d in w["shape"])))
