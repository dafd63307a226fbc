# Walks the whole filesystem (breadth first, ten seconds at most) for any exercises.ipynb that answers: another
# checkout's solutions/, an earlier term's submissions, a cache.
# assignment: 05_lstm
# class: solutions
# include: _steal_common.py
# others: blank
# expect-zero: all
# %% ch05-ex1-solution
def _candidates():
    skip = {"proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin", "boot", "etc", "snap", "site-packages",
            "node_modules", ".git", "__pycache__", ".venv", "_build", "old_root"}
    end = time.monotonic() + 10
    level, found = ["/"], []
    for depth in range(8):
        nxt = []
        for d in level:
            if time.monotonic() > end:
                return found
            try:
                entries = list(os.scandir(d))
            except Exception:
                continue
            for e in entries:
                try:
                    if e.is_dir(follow_symlinks=False) and e.name not in skip:
                        nxt.append(e.path)
                    elif e.name == "exercises.ipynb" and "05_lstm" in e.path:
                        found.append(e.path)
                except Exception:
                    pass
        level = nxt
    return found
