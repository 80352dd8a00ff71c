"""The classroom dashboard's step: the model's day plus every chart, at the default population.

Renders the six charts the way the page does (``solara.render`` of each component, PNGs
included) after each step of the first lesson's model, and prints the mean and the
slowest step (target: under 0.5 s).

    .venv/bin/python benchmarks/bench_dashboard.py [--steps 60]
"""

from __future__ import annotations

import argparse
import time

import ipywidgets
import solara

from simulation import dashboard
from simulation.scenario import load_scenario


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=60)
    args = p.parse_args()
    path = dashboard.default_lesson()
    values = dashboard.lesson_values(load_scenario(path))
    model = dashboard.ClassroomEconomy(lesson=str(path), rng=1, **values)
    model.step()  # the first render pays matplotlib's font cache
    for chart in dashboard.CHARTS:
        solara.render(chart(model))[1].close()
    model_s, charts_s = [], []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        for chart in dashboard.CHARTS:
            _, rc = solara.render(chart(model), handle_error=False)
            assert rc.find(ipywidgets.Image).widgets
            rc.close()
        model_s.append(t1 - t0)
        charts_s.append(time.perf_counter() - t1)
    total = [a + b for a, b in zip(model_s, charts_s, strict=True)]
    n = values["n_fans"]
    print(f"{args.steps} steps at {n:,} fans ({path.stem}), six charts each:")
    print(f"  model step  mean {1e3 * sum(model_s) / len(model_s):6.0f} ms")
    print(f"  charts      mean {1e3 * sum(charts_s) / len(charts_s):6.0f} ms")
    print(f"  step+charts mean {1e3 * sum(total) / len(total):6.0f} ms, slowest "
          f"{1e3 * max(total):.0f} ms (target 500 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
