"""Parameter sweeps for researchers: a sweep file -> a SALib design -> runs on Dask -> sqlite.

The data flow, one module each: :mod:`.spec` reads and validates a sweep file;
:mod:`.design` turns it into design points and runs with their seeds; :mod:`.store`
records each finished run in ``runs.sqlite``; :mod:`.execute` runs what is missing on a
Dask cluster; :mod:`.analysis` computes sensitivity indices and figures.
"""
