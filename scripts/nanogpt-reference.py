#!/usr/bin/python3
"""
nanoGPT's small CPU configuration in PyTorch, as the reference for RESULTS.md's tiny-Shakespeare run.

Written for this repository from nanoGPT's described semantics (model.py / train.py): 4 layers, 4
heads, width 128, block 64, no biases, tied embedding, N(0, 0.02) init with the residual
projections scaled by 1/sqrt(2 * layers); AdamW (0.9, 0.99) with weight decay 0.1 on the matrices;
linear warmup over 100 steps then a cosine to 1e-4 at step 2000; clipping at 1; batches of 12
random windows of the first 90% of the characters; estimates on 20 random batches per split.

  /usr/bin/python3 scripts/nanogpt-reference.py SEED [ITERS] [THREADS] [TEXT] [DUMP.json]

With DUMP.json it also writes the initial weights (float32, base64) and the start index of every
training window it drew, for scripts/replay-torch-stream.mjs to train backprop on the same stream.

Needs Debian's python3-torch. With its default reference BLAS a step takes seconds; with
libopenblas0-pthread installed (apt), PyTorch picks OpenBLAS up and a 2000-step run takes minutes.
"""
import base64, json, math, sys, time, torch, torch.nn as nn, torch.nn.functional as F
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1337
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
torch.manual_seed(seed); torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
text = open(sys.argv[4] if len(sys.argv) > 4 else '../shared/data/tinyshakespeare/input.txt').read()
chars = sorted(set(text)); stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
n = int(0.9 * len(data)); train, val = data[:n], data[n:]
B, T, L, H, E = 12, 64, 4, 4, 128
V = len(chars)
class LN(nn.Module):
    def __init__(s, d): super().__init__(); s.weight = nn.Parameter(torch.ones(d))
    def forward(s, x): return F.layer_norm(x, s.weight.shape, s.weight, None, 1e-5)
class Attn(nn.Module):
    def __init__(s):
        super().__init__(); s.c_attn = nn.Linear(E, 3 * E, bias=False); s.c_proj = nn.Linear(E, E, bias=False)
        s.register_buffer('mask', torch.tril(torch.ones(T, T)).view(1, 1, T, T))
    def forward(s, x):
        b, t, c = x.shape
        q, k, v = s.c_attn(x).split(E, dim=2)
        q, k, v = [z.view(b, t, H, c // H).transpose(1, 2) for z in (q, k, v)]
        a = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        a = a.masked_fill(s.mask[:, :, :t, :t] == 0, float('-inf')).softmax(-1)
        return s.c_proj((a @ v).transpose(1, 2).contiguous().view(b, t, c))
class MLP(nn.Module):
    def __init__(s):
        super().__init__(); s.c_fc = nn.Linear(E, 4 * E, bias=False); s.c_proj = nn.Linear(4 * E, E, bias=False)
    def forward(s, x): return s.c_proj(F.gelu(s.c_fc(x)))
class Block(nn.Module):
    def __init__(s): super().__init__(); s.ln_1 = LN(E); s.attn = Attn(); s.ln_2 = LN(E); s.mlp = MLP()
    def forward(s, x): x = x + s.attn(s.ln_1(x)); return x + s.mlp(s.ln_2(x))
class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte = nn.Embedding(V, E); s.wpe = nn.Embedding(T, E); s.h = nn.ModuleList([Block() for _ in range(L)]); s.ln_f = LN(E)
        s.lm_head = nn.Linear(E, V, bias=False); s.wte.weight = s.lm_head.weight
        s.apply(s._init)
        for pn, p in s.named_parameters():
            if pn.endswith('c_proj.weight'): nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))
    def _init(s, m):
        if isinstance(m, (nn.Linear, nn.Embedding)): nn.init.normal_(m.weight, 0.0, 0.02)
    def forward(s, idx, tgt):
        x = s.wte(idx) + s.wpe(torch.arange(idx.size(1)))
        for b in s.h: x = b(x)
        logits = s.lm_head(s.ln_f(x))
        return F.cross_entropy(logits.view(-1, V), tgt.view(-1))
def batch(d):
    ix = torch.randint(len(d) - T, (B,))
    return torch.stack([d[i:i + T] for i in ix]), torch.stack([d[i + 1:i + 1 + T] for i in ix])
m = GPT()
dump = sys.argv[5] if len(sys.argv) > 5 else None
initial = {k: {'shape': list(v.shape), 'base64': base64.b64encode(v.detach().contiguous().numpy().astype('<f4').tobytes()).decode()}
           for k, v in m.state_dict().items() if k != 'lm_head.weight' and not k.endswith('.mask')}
starts = []
params = {pn: p for pn, p in m.named_parameters()}
dec = [p for p in params.values() if p.dim() >= 2]; nodec = [p for p in params.values() if p.dim() < 2]
opt = torch.optim.AdamW([{'params': dec, 'weight_decay': 0.1}, {'params': nodec, 'weight_decay': 0.0}], lr=1e-3, betas=(0.9, 0.99))
def get_lr(it, warm=100, total=2000, lr=1e-3, mn=1e-4):
    if it < warm: return lr * (it + 1) / (warm + 1)
    if it > total: return mn
    r = (it - warm) / (total - warm); return mn + 0.5 * (1 + math.cos(math.pi * r)) * (lr - mn)
@torch.no_grad()
def est(d, k=20):
    m.eval(); l = torch.stack([m(*batch(d)) for _ in range(k)]).mean().item(); m.train(); return l
@torch.no_grad()
def full_val():
    m.eval(); tot = 0.0; cnt = 0
    for s in range(0, len(val) - T - 1 + 1, T * 32):
        xs = [val[i:i + T] for i in range(s, min(s + T * 32, len(val) - T), T)]
        ys = [val[i + 1:i + 1 + T] for i in range(s, min(s + T * 32, len(val) - T), T)]
        if not xs: break
        l = m(torch.stack(xs), torch.stack(ys)); tot += l.item() * len(xs); cnt += len(xs)
    m.train(); return tot / cnt
t0 = time.time()
for it in range(iters + 1):
    if it % 250 == 0 or it == iters:
        print(f'iter {it} train {est(train):.4f} val {est(val):.4f} t {time.time()-t0:.0f}s', flush=True)
    if it == iters: break
    for g in opt.param_groups: g['lr'] = get_lr(it, total=iters)
    ix = torch.randint(len(train) - T, (B,))
    starts.append(ix.tolist())
    x, y = torch.stack([train[i:i + T] for i in ix]), torch.stack([train[i + 1:i + 1 + T] for i in ix])
    loss = m(x, y); opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
print(f'seed {seed} final full-val {full_val():.4f} time {time.time()-t0:.0f}s', flush=True)
if dump:
    with open(dump, 'w') as f:
        json.dump({'seed': seed, 'initial': initial, 'starts': starts}, f)
