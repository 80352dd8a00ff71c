"""Pure NumPy rules acting on whole populations, one module per mechanism (FACTS 1-6).

Each function takes arrays and a generator and returns arrays, so it can be tested
without building a model. :mod:`simulation.model` calls them in the order of a day.
"""
