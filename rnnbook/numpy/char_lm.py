"""A character-level language model: embedding → RNN, LSTM or GRU → temporal affine → softmax.

Shape letters: N batch, T time, V vocabulary size, D embedding size (wordvec_dim), H hidden size,
G gates per cell (RNN 1, LSTM 4 (i, f, g, o), GRU 3 (r, z, n)).

    e_t = W_embed[x_t]                       (N, T, D)
    h_t = cell(e_t, h_{t-1})                 (N, T, H)
    s_t = h_t W_vocab + b_vocab              (N, T, V)
    loss = -(1/N) Σ_n Σ_t mask · log softmax(s_t)[y_t]   (summed over time, averaged over N)

The model predicts y from x; for next-character prediction pass x = ids[:, :-1], y = ids[:, 1:].
The LSTM and GRU layers come from :mod:`rnnbook.numpy.lstm` and :mod:`rnnbook.numpy.gru`, imported
when first used.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from rnnbook._validate import check_choice, check_shape
from .embedding import word_embedding_backward, word_embedding_forward
from .losses import temporal_softmax_loss
from .rnn import rnn_backward, rnn_forward, rnn_step_forward
from .temporal import temporal_affine_backward, temporal_affine_forward

__all__ = ["Vocab", "CharLM"]

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class Vocab:
    """The characters of a text, sorted, with ``encode(str) -> ids`` and ``decode(ids) -> str``."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError(f"text: expected a non-empty str, got {text!r:.40}")
        self.itos = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> np.ndarray:
        """str -> int64 ids of shape (len(text),); an unknown character raises ValueError."""
        unknown = sorted(set(text) - set(self.stoi))
        if unknown:
            raise ValueError(f"text: characters not in the vocabulary: {unknown!r}")
        return np.array([self.stoi[c] for c in text], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> str:
        """ids in [0, V) -> str."""
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < len(self.itos)]
        if bad:
            raise ValueError(f"ids: expected ids in [0, {len(self.itos)}), got {bad[:5]}")
        return "".join(self.itos[i] for i in ids)


def _softmax_with_temperature(scores: np.ndarray, temperature: float) -> np.ndarray:
    """scores (V,) -> probabilities (V,) of softmax(scores / temperature); temperature > 0."""
    z = scores / temperature
    z = np.exp(z - z.max())
    return z / z.sum()


class CharLM:
    """Character-level language model with a vanilla RNN, LSTM or GRU core.

    params (float arrays of ``dtype``): ``W_embed`` (V, D), ``Wx`` (D, GH), ``Wh`` (H, GH),
    ``b`` (GH,) for "rnn" and "lstm" or ``bx``, ``bh`` (3H,) for "gru", ``W_vocab`` (H, V),
    ``b_vocab`` (V,). Weights ~ N(0, 1/fan_in), embedding ~ N(0, 1), biases zero except the LSTM's
    forget-gate bias, which starts at 1.

    ``tie_weights=True`` (weight tying, Press & Wolf 2017, Inan et al. 2017) needs D == H and drops
    ``W_vocab``: the read-out is s_t = h_t W_embed^T + b_vocab, one parameter used twice, so its gradient is
    the sum of the embedding's and the read-out's (the latter transposed). The tied embedding starts
    ~ N(0, 1/H), the read-out's scale.
    """

    def __init__(self, vocab_size: int, wordvec_dim: int = 16, hidden_dim: int = 32, cell_type: str = "rnn",
                 seed: int = 0, dtype=np.float64, tie_weights: bool = False):
        check_choice("cell_type", cell_type, set(_GATES))
        if tie_weights and wordvec_dim != hidden_dim:
            raise ValueError(f"tie_weights: expected wordvec_dim == hidden_dim, got {wordvec_dim} and {hidden_dim}")
        self.tie_weights = bool(tie_weights)
        for name, v in (("vocab_size", vocab_size), ("wordvec_dim", wordvec_dim), ("hidden_dim", hidden_dim)):
            if int(v) != v or v < 1:
                raise ValueError(f"{name}: expected a positive integer, got {v!r}")
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise ValueError(f"dtype: expected a floating dtype, got {dtype!r}")
        V, D, H, G = vocab_size, wordvec_dim, hidden_dim, _GATES[cell_type]
        self.cell_type, self.vocab_size, self.wordvec_dim, self.hidden_dim = cell_type, V, D, H
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        p = {
            "W_embed": rng.standard_normal((V, D)),  # (V, D)
            "Wx": rng.standard_normal((D, G * H)) / np.sqrt(D),  # (D, GH)
            "Wh": rng.standard_normal((H, G * H)) / np.sqrt(H),  # (H, GH)
        }
        if cell_type == "gru":
            p["bx"], p["bh"] = np.zeros(G * H), np.zeros(G * H)  # (3H,), (3H,)
        else:
            p["b"] = np.zeros(G * H)  # (GH,)
            if cell_type == "lstm":
                p["b"][H:2 * H] = 1.0  # forget gate (order i, f, g, o)
        p["W_vocab"] = rng.standard_normal((H, V)) / np.sqrt(H)  # (H, V)
        p["b_vocab"] = np.zeros(V)  # (V,)
        if self.tie_weights:
            p["W_embed"] = p.pop("W_vocab").T.copy()  # (V, D) = (V, H), the read-out's scale
        self.params = {k: v.astype(self.dtype) for k, v in p.items()}

    # -- the recurrent core -------------------------------------------------------------------
    def _core_forward(self, e, h0):
        p = self.params
        if self.cell_type == "rnn":
            return rnn_forward(e, h0, p["Wx"], p["Wh"], p["b"])
        if self.cell_type == "lstm":
            from .lstm import lstm_forward
            return lstm_forward(e, h0, p["Wx"], p["Wh"], p["b"])
        from .gru import gru_forward
        return gru_forward(e, h0, p["Wx"], p["Wh"], p["bx"], p["bh"])

    def _core_backward(self, dh, cache):
        """Returns de and a dict of the core's parameter gradients."""
        if self.cell_type == "rnn":
            de, _, dWx, dWh, db = rnn_backward(dh, cache)
            return de, {"Wx": dWx, "Wh": dWh, "b": db}
        if self.cell_type == "lstm":
            from .lstm import lstm_backward
            de, _, dWx, dWh, db = lstm_backward(dh, cache)
            return de, {"Wx": dWx, "Wh": dWh, "b": db}
        from .gru import gru_backward
        de, _, dWx, dWh, dbx, dbh = gru_backward(dh, cache)
        return de, {"Wx": dWx, "Wh": dWh, "bx": dbx, "bh": dbh}

    def _h0(self, N, h0):
        if h0 is None:
            return np.zeros((N, self.hidden_dim), dtype=self.dtype)
        check_shape("h0", h0, "N, H", {"N": N, "H": self.hidden_dim})
        return h0

    # -- training ----------------------------------------------------------------------------
    def loss(self, x: np.ndarray, y: np.ndarray, mask: np.ndarray | None = None, h0: np.ndarray | None = None):
        """Temporal softmax loss of predicting y from x, and its gradients.

        x: input ids (N, T) in [0, V); y: target ids (N, T) in [0, V); mask: bool (N, T), default all
        True; h0: initial hidden state (N, H), default zeros (the LSTM's cell state always starts at
        zero). Returns (loss, grads) with grads keyed like ``params``.
        """
        dims: dict[str, int] = {}
        check_shape("x", x, "N, T", dims, floating=False)
        check_shape("y", y, "N, T", dims, floating=False)
        if mask is None:
            mask = np.ones(x.shape, dtype=bool)
        p = self.params
        h0 = self._h0(x.shape[0], h0)
        e, cache_e = word_embedding_forward(x, p["W_embed"])  # (N, T, D)
        h, cache_h = self._core_forward(e, h0)  # (N, T, H)
        s, cache_s = temporal_affine_forward(h, self._readout(), p["b_vocab"])  # (N, T, V)
        loss, ds = temporal_softmax_loss(s, y, mask)
        dh, dW_vocab, db_vocab = temporal_affine_backward(ds, cache_s)  # (N, T, H)
        de, grads = self._core_backward(dh, cache_h)  # (N, T, D)
        grads["W_embed"] = word_embedding_backward(de, cache_e)  # (V, D)
        if self.tie_weights:
            grads["W_embed"] = grads["W_embed"] + dW_vocab.T  # one parameter, two uses: the gradients add
        else:
            grads["W_vocab"] = dW_vocab
        grads["b_vocab"] = db_vocab
        return loss, {k: grads[k] for k in p}

    def _readout(self) -> np.ndarray:
        """The read-out matrix (H, V): ``W_vocab``, or ``W_embed.T`` when the weights are tied."""
        return self.params["W_embed"].T if self.tie_weights else self.params["W_vocab"]

    # -- generation --------------------------------------------------------------------------
    def next_probs(self, prefix_ids, temperature: float = 1.0) -> np.ndarray:
        """Distribution (V,) of the character after ``prefix_ids`` (a non-empty sequence of ids) at
        ``temperature`` > 0: softmax(scores / temperature)."""
        ids = self._check_prefix(prefix_ids, "prefix_ids")
        if not temperature > 0:
            raise ValueError(f"temperature: expected a positive number, got {temperature!r}")
        return _softmax_with_temperature(self._scores_after(ids), float(temperature))

    def sample(self, start_ids, length: int, temperature: float = 1.0, rng: np.random.Generator | None = None
               ) -> np.ndarray:
        """Generate ``length`` ids after the prefix ``start_ids`` (an int or a non-empty sequence of ids).

        Each id is drawn from softmax(scores / temperature) with ``rng`` (a ``np.random.Generator``;
        default ``np.random.default_rng()``, so pass a seeded one for reproducible text).
        temperature < 1 sharpens the distribution, > 1 flattens it; temperature == 0 is greedy decoding
        (argmax, no randomness); a negative temperature raises ValueError.
        Returns an int64 array of shape (length,), without the prefix.
        """
        ids = list(self._check_prefix(start_ids))
        if int(length) != length or length < 0:
            raise ValueError(f"length: expected a non-negative integer, got {length!r}")
        if not temperature >= 0:
            raise ValueError(f"temperature: expected a number >= 0 (0 is greedy), got {temperature!r}")
        rng = np.random.default_rng() if rng is None else rng
        out = np.empty(int(length), dtype=np.int64)
        state = None
        for i in range(int(length)):
            scores, state = self._advance(ids, state)
            if temperature == 0:
                nxt = int(np.argmax(scores))
            else:
                probs = _softmax_with_temperature(scores, float(temperature))
                nxt = int(rng.choice(self.vocab_size, p=probs))
            out[i] = nxt
            ids.append(nxt)
        return out

    def _check_prefix(self, prefix_ids, name: str = "start_ids") -> np.ndarray:
        ids = np.atleast_1d(np.asarray(prefix_ids))
        if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"{name}: expected an int or a non-empty 1-D sequence of ints, got {prefix_ids!r:.60}")
        if ids.min() < 0 or ids.max() >= self.vocab_size:
            raise ValueError(f"{name}: expected ids in [0, V) = [0, {self.vocab_size}), got {ids.tolist()[:10]}")
        return ids.astype(np.int64)

    def _scores_after(self, ids) -> np.ndarray:
        """Scores (V,) after running the whole prefix ids through the model from a zero state."""
        p = self.params
        e, _ = word_embedding_forward(np.asarray(ids, dtype=np.int64)[None], p["W_embed"])  # (1, T, D)
        h, _ = self._core_forward(e, self._h0(1, None))  # (1, T, H)
        return h[0, -1] @ self._readout() + p["b_vocab"]  # (V,)

    def _advance(self, ids, state):
        """Scores (V,) after ``ids`` and the state to continue from (h (1, H), or (h, c) for the LSTM).

        The first call (state None) runs the prefix except its last id; every call then takes one step.
        The LSTM steps with ``lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> (next_h, next_c, cache)``
        because its sequence forward does not return the cell state.
        """
        p = self.params
        if state is None:
            h = self._h0(1, None)
            if self.cell_type == "lstm":
                state = (h, np.zeros_like(h))
                for i in ids[:-1]:
                    state = self._lstm_step(i, state)
            else:
                if len(ids) > 1:
                    e, _ = word_embedding_forward(np.asarray(ids[:-1], dtype=np.int64)[None], p["W_embed"])
                    h = self._core_forward(e, h)[0][:, -1]  # (1, H)
                state = h
        if self.cell_type == "lstm":
            state = self._lstm_step(ids[-1], state)
            h = state[0]
        else:
            e_last = p["W_embed"][ids[-1]][None]  # (1, D)
            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(e_last, state, p["Wx"], p["Wh"], p["b"])  # (1, H)
            else:
                h = self._core_forward(e_last[:, None], state)[0][:, -1]  # (1, H), one GRU step
            state = h
        return h[0] @ self._readout() + p["b_vocab"], state

    def _lstm_step(self, i, state):
        from .lstm import lstm_step_forward
        p = self.params
        h, c, _ = lstm_step_forward(p["W_embed"][i][None], state[0], state[1], p["Wx"], p["Wh"], p["b"])
        return h, c  # (1, H), (1, H)
