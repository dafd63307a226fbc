"""rnnbook.torch's LayerNorm, TransformerBlock and CharTransformer against torch.nn (state dicts both ways,
outputs and every gradient in float64), their causality, device handling and bad input, and the CPU-time trainer."""

import numpy as np
import pytest
import torch
from torch.func import functional_call
from twin import assert_twins, torch_autograd

import rnnbook.torch as R
from rnnbook.experiments.charlm import _CharLSTM


def _causal(T):
    return torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)


def _pair(E=6, h=2, F=10, norm_first=True):
    theirs = torch.nn.TransformerEncoderLayer(E, h, F, dropout=0.0, batch_first=True, norm_first=norm_first).double()
    ours = R.TransformerBlock(E, h, F, norm_first=norm_first).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))  # biases and norms away from their 0 / 1 start
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _as_fn(module, names, causal):
    def fn(x, *params):
        kw = {"src_mask": _causal(x.shape[1]), "is_causal": True} if causal else {}
        return functional_call(module, dict(zip(names, params)), (x,), kw, strict=True)
    return fn


def test_layer_norm_matches_torch(rng):
    ours, theirs = R.LayerNorm(5).double(), torch.nn.LayerNorm(5).double()
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-0.5, 0.5)
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 3, 5)) * 3 + 1
    names = ["weight", "bias"]
    params = [p.detach().numpy() for p in theirs.parameters()]
    assert_twins(torch_autograd(lambda x, *p: functional_call(ours, dict(zip(names, p)), (x,))),
                 torch_autograd(lambda x, *p: functional_call(theirs, dict(zip(names, p)), (x,))),
                 [x] + params, tol=1e-12, grad_tol=1e-11)


@pytest.mark.parametrize("norm_first", [True, False])
def test_block_matches_torch_encoder_layer(rng, norm_first):
    ours, theirs = _pair(norm_first=norm_first)
    names = [n for n, _ in theirs.named_parameters()]
    assert names == [n for n, _ in ours.named_parameters()]
    params = [p.detach().numpy() for p in theirs.parameters()]
    x = rng.standard_normal((3, 5, 6))
    # self_attn.in_proj_bias is left out: its key third has gradient 0 (softmax ignores a shift of a score
    # row), rounding noise on both sides; tests/numpy/test_transformer.py checks that one with an absolute bound
    k = names.index("self_attn.in_proj_bias")
    wrt = [i for i in range(1 + len(params)) if i != k + 1]
    assert_twins(torch_autograd(_as_fn(ours, names, False), wrt=wrt),
                 torch_autograd(_as_fn(theirs, names, True), wrt=wrt), [x] + params, tol=1e-11, grad_tol=1e-9)
    # and back: torch.nn loads our state dict
    theirs2 = torch.nn.TransformerEncoderLayer(6, 2, 10, dropout=0.0, batch_first=True,
                                               norm_first=norm_first).double()
    theirs2.load_state_dict(ours.state_dict())
    xt = torch.tensor(x)
    assert torch.allclose(theirs2(xt, src_mask=_causal(5), is_causal=True), ours(xt), atol=1e-12, rtol=0)


def test_block_is_causal_and_keeps_dtype_and_device():
    torch.manual_seed(0)
    block = R.TransformerBlock(8, 2, 16)
    x = torch.randn(2, 6, 8)
    y = block(x)
    x2 = x.clone()
    x2[:, 3:] = torch.randn(2, 3, 8)
    assert y.dtype == torch.float32 and y.device == x.device
    assert torch.equal(block(x2)[:, :3], y[:, :3]) and not torch.allclose(block(x2)[:, 3:], y[:, 3:])


def test_char_transformer_fused_and_ours_agree():
    torch.manual_seed(0)
    ours = R.CharTransformer(11, 8, 2, 2, 16, block_size=7).double()
    fused = R.CharTransformer(11, 8, 2, 2, 16, block_size=7, fused=True).double()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in fused.named_parameters()]
    fused.load_state_dict(ours.state_dict())
    idx = torch.randint(0, 11, (3, 7))
    logits, loss = ours(idx, idx)
    assert logits.shape == (3, 7, 11) and loss.ndim == 0 and ours(idx)[1] is None
    fused.train()  # the autograd path of torch.nn (eval under no_grad takes its fast path)
    assert torch.allclose(fused(idx)[0], logits, atol=1e-12, rtol=0)
    assert R.count_parameters(ours) == sum(p.numel() for p in ours.parameters())


def test_char_transformer_bad_input():
    model = R.CharTransformer(11, 8, 2, 1, 16, block_size=4)
    with pytest.raises(ValueError, match=r"idx: expected T <= block_size = 4, got T = 5"):
        model(torch.zeros(1, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"idx: expected a \(N, T\) tensor of dtype torch.int64"):
        model(torch.zeros(1, 4))
    with pytest.raises(ValueError, match=r"num_heads: expected a divisor of embed_dim = 8, got 3"):
        R.TransformerBlock(8, 3)
    with pytest.raises(ValueError, match=r"x: expected \(N, T, E\)"):
        R.TransformerBlock(8, 2)(torch.zeros(2, 3, 7))
    with pytest.raises(ValueError, match=r"eps: expected a positive number, got 0"):
        R.LayerNorm(4, eps=0)


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_train_char_model_learns_within_its_budget(kind):
    rng = np.random.default_rng(0)
    text = np.tile(np.array([0, 1, 2, 3, 4, 5, 4, 3, 2, 1]), 300)  # a periodic sequence: predictable
    torch.manual_seed(0)
    model = R.CharTransformer(6, 16, 2, 1, 32, block_size=12) if kind == "transformer" else _CharLSTM(6, 8, 16, 1)
    res = R.train_char_model(model, text, text[: 601], cpu_seconds=2.0, seq_len=12, batch=8, lr=1e-2, evals=2,
                             warmup=5 if kind == "transformer" else 0)
    assert res["cpu_seconds"][-1] >= 2.0 and len(res["val_bpc"]) == 2 and len(res["position_bpc"]) == 12
    assert res["val_bpc"][-1] < np.log2(6) - 0.5  # clearly below the uniform guess (0.1 to 2 bits, by load)
    assert res["parameters"] == R.count_parameters(model)
    with pytest.raises(ValueError, match="cpu_seconds: expected a positive budget"):
        R.train_char_model(model, text, text, cpu_seconds=0, seq_len=4, batch=2, lr=1e-3)


@pytest.mark.cuda
def test_cuda_block_matches_cpu():
    ours, theirs = _pair()
    x = torch.randn(2, 5, 6, dtype=torch.float64)
    y = ours(x)
    ours.cuda()
    assert torch.allclose(ours(x.cuda()).cpu(), y, atol=1e-12, rtol=0)
    model = R.CharTransformer(11, 8, 2, 1, 16, block_size=7).cuda()
    assert model(torch.zeros(2, 7, dtype=torch.long, device="cuda"))[0].device.type == "cuda"


def _script():
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "chartransformer.py")
    spec = importlib.util.spec_from_file_location("chartransformer_script", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _assert_table(table, cfg):
    assert table["command"].startswith("python scripts/chartransformer.py")
    assert table["machine"]["date_utc"] and table["machine"]["torch"] and table["threads"] == 1
    assert len(table["results"]) == len(table["seeds"]) >= 1
    for run in table["results"]:
        lstm, tf = run["lstm"], run["transformer"]
        assert abs(lstm["parameters"] - tf["parameters"]) <= 0.03 * lstm["parameters"]  # equal parameter count
        for r in (lstm, tf):
            assert r["cpu_seconds"][-1] >= cfg["cpu_seconds"]  # equal CPU time: each spent the whole budget
            assert r["cpu_seconds"][-1] < cfg["cpu_seconds"] + 5.0  # and not much more (one step past it)
            assert len(r["val_bpc"]) == cfg["evals"] and len(r["position_bpc"]) == cfg["seq_len"]


def test_chartransformer_script_writes_its_table(tmp_path):
    mod = _script()
    out = tmp_path / "t.json"
    threads = torch.get_num_threads()
    mod.main(["--scale", "small", "--seeds", "0", "--set", "cpu_seconds=0.5", "--set", "evals=1",
              "--set", "train_chars=20000", "--set", "val_chars=3000", "--out", str(out)])
    assert torch.get_num_threads() == threads
    import json

    table = json.loads(out.read_text())
    assert table["scale"].startswith("small with overrides")
    _assert_table(table, table["config"])
    with pytest.raises(SystemExit):
        mod.main(["--set", "no_such_key=1", "--out", str(out)])


@pytest.mark.parametrize("name", ["chartransformer", "chartransformer_seed1"])
def test_committed_chartransformer_table_is_a_fair_comparison(name):
    import json
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "results", f"{name}.json")
    if not os.path.exists(path):
        pytest.skip(f"results/{name}.json not committed yet (python scripts/chartransformer.py)")
    with open(path) as fh:
        table = json.load(fh)
    _assert_table(table, table["config"])
    assert table["scale"] == "full"  # the page calls these the full-scale runs
