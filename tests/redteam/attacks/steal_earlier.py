# Copies a classmate's submission from an earlier run that still lies on the grading machine.
# assignment: 05_lstm
# class: solutions
# include: _steal_common.py
# others: blank
# expect-zero: all
# %% ch05-ex1-solution
def _candidates():
    return glob.glob("@EARLIER@/submitted/*/05_lstm/*.ipynb")
