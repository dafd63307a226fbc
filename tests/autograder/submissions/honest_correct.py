# The instructor's solutions, unchanged.
# expect-full: all
