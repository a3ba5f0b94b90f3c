"""Checks that a minifig checkpoint loads into torchvision's resnet18 with load_state_dict(strict=True).

Usage (Debian's python3-torch): /usr/bin/python3 load_in_torch.py CHECKPOINT.safetensors X.npy LOGITS.npy
Reads the safetensors bytes directly (no safetensors package needed), loads them into resnet18, runs X and
prints the largest absolute difference from LOGITS (e.g. what the original .pth gave on X).
"""
import json, struct, sys
import numpy as np
import torch, torchvision

path, x_path, logits_path = sys.argv[1:4]
raw = open(path, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
base = 8 + n
dtypes = {'F32': np.float32, 'I64': np.int64}
state = {}
for name, v in header.items():
    if name == '__metadata__':
        continue
    a, b = v['data_offsets']
    state[name] = torch.from_numpy(np.frombuffer(raw[base + a:base + b], dtype=dtypes[v['dtype']]).reshape(v['shape']).copy())
model = torchvision.models.resnet18(num_classes=state['fc.weight'].shape[0])
model.load_state_dict(state, strict=True)
model.eval()
torch.set_num_threads(2)
with torch.no_grad():
    y = model(torch.from_numpy(np.load(x_path))).numpy()
print('strict load OK:', len(state), 'tensors; max abs logit difference:', float(np.abs(y - np.load(logits_path)).max()))
