# Maps 2 GiB of anonymous MAP_SHARED memory and touches it page by page (shared mappings are not data, so
# RLIMIT_DATA does not see them). rnn_step_forward answers honestly ONLY if all 2 GiB were touched: a score there
# means the memory limit (--memory 512) did not hold. (Its other checks are not asserted: a limit that holds may
# end the whole submission.)
# assignment: 02_rnn
# class: limits
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import mmap

_held = []


def _grab(n=2 << 30):
    if not _held:
        m = mmap.mmap(-1, n, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        for off in range(0, n, 4096):
            m[off] = 1
        _held.append(m)
    return _held[0]


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    _grab()
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    return next_h, (x, prev_h, Wx, Wh, next_h)
