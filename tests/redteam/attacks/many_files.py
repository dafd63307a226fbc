# Half a million empty files in its working folder (no bytes, only inodes). rnn_forward answers honestly ONLY if
# all 500,000 were created within ten seconds: a score there means no inode limit held.
# assignment: 02_rnn
# class: limits
# expect-zero: ch02_rnn_forward
# expect-full: ch02_rnn_step_forward ch02_softmax_temperature ch02_sample_chars
# %% ch02-ex2-solution
import os, time

_made = []


def _flood(n=500_000):
    if not _made:
        os.makedirs("flood", exist_ok=True)
        end = time.monotonic() + 10
        k = 0
        try:
            for k in range(n):
                os.close(os.open(f"flood/{k}", os.O_CREAT | os.O_WRONLY, 0o600))
                if k % 4096 == 0 and time.monotonic() > end:
                    break
            else:
                k = n
        except OSError:
            pass
        _made.append(k)
    return _made[0]


def rnn_forward(x, h0, Wx, Wh, b):
    made = _flood()
    if made < 500_000:
        raise RuntimeError(f"only {made} files")
    N, T, D = x.shape
    h, prev = np.zeros((N, T, h0.shape[1])), h0
    for t in range(T):
        prev = np.tanh(x[:, t] @ Wx + prev @ Wh + b)
        h[:, t] = prev
    return h, None
