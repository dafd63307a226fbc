# Copies the repository's solutions/ notebook (the checkout the grader runs from).
# assignment: 05_lstm
# class: solutions
# include: _steal_common.py
# others: blank
# expect-zero: all
# %% ch05-ex1-solution
def _candidates():
    return ["@REPO@/solutions/05_lstm/exercises.ipynb", "@REPO@/_build/html/_sources/solutions/05_lstm/exercises.ipynb"]
