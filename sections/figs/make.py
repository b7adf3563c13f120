"""The pictures of sections/3.yaml (the seed deck's hand-drawn ones), as SVG for the web
formats and PDF beside each for LaTeX. Run from the repository root:

    python sections/figs/make.py        (needs rsvg-convert, from librsvg, for the PDFs)

Every curve is computed here from its formula; nothing is traced by hand.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
W, H = 640, 400
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"
BLUE, RED, GREEN, GREY, ORANGE = "#1f4e9c", "#c0392b", "#1e8449", "#888888", "#d35400"


class Plot:
    """Data coordinates -> SVG pixels in a box."""

    def __init__(self, xr, yr, box=(50, 20, W - 20, H - 40)):
        self.xr, self.yr, self.box = xr, yr, box
        self.items: list[str] = []

    def px(self, x, y):
        x0, y0, x1, y1 = self.box
        return (x0 + (x - self.xr[0]) / (self.xr[1] - self.xr[0]) * (x1 - x0),
                y1 - (y - self.yr[0]) / (self.yr[1] - self.yr[0]) * (y1 - y0))

    def line(self, pts, color=BLUE, width=3, dash=None):
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(self.px(*p) for p in pts))
        extra = f" stroke-dasharray='{dash}'" if dash else ""
        self.items.append(f"<path d='{d}' fill='none' stroke='{color}' stroke-width='{width}'{extra}/>")

    def curve(self, f, a, b, n=200, **kw):
        self.line([(a + (b - a) * i / n, f(a + (b - a) * i / n)) for i in range(n + 1)], **kw)

    def arrow(self, p, q, color=RED, width=3):
        (x0, y0), (x1, y1) = self.px(*p), self.px(*q)
        ang = math.atan2(y1 - y0, x1 - x0)
        head = [(x1, y1), (x1 - 13 * math.cos(ang - 0.4), y1 - 13 * math.sin(ang - 0.4)),
                (x1 - 13 * math.cos(ang + 0.4), y1 - 13 * math.sin(ang + 0.4))]
        self.items.append(f"<line x1='{x0:.1f}' y1='{y0:.1f}' x2='{x1 - 9 * math.cos(ang):.1f}' "
                          f"y2='{y1 - 9 * math.sin(ang):.1f}' stroke='{color}' stroke-width='{width}'/>")
        self.items.append("<polygon points='" + " ".join(f"{x:.1f},{y:.1f}" for x, y in head) + f"' fill='{color}'/>")

    def dot(self, p, color="black", r=5):
        x, y = self.px(*p)
        self.items.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r}' fill='{color}'/>")

    def text(self, p, s, color="black", size=20, anchor="start", italic=False):
        x, y = self.px(*p)
        style = " font-style='italic'" if italic else ""
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.items.append(f"<text x='{x:.1f}' y='{y:.1f}' {FONT} font-size='{size}' fill='{color}' "
                          f"text-anchor='{anchor}'{style}>{s}</text>")

    def axes(self, xlabel="x", ylabel="y"):
        x0, x1 = self.xr
        y0, y1 = self.yr
        ox = 0 if x0 <= 0 <= x1 else x0
        oy = 0 if y0 <= 0 <= y1 else y0
        self.arrow((x0, oy), (x1, oy), color=GREY, width=1.5)
        self.arrow((ox, y0), (ox, y1), color=GREY, width=1.5)
        self.text((x1, oy), xlabel, GREY, anchor="end", italic=True) if False else None
        x, y = self.px(x1, oy)
        self.items.append(f"<text x='{x - 4:.1f}' y='{y + 22:.1f}' {FONT} font-size='20' fill='{GREY}' "
                          f"text-anchor='end' font-style='italic'>{xlabel}</text>")
        x, y = self.px(ox, y1)
        self.items.append(f"<text x='{x + 10:.1f}' y='{y + 14:.1f}' {FONT} font-size='20' fill='{GREY}' "
                          f"font-style='italic'>{ylabel}</text>")


def save(name: str, plots: list[Plot], width=W) -> None:
    body = "\n".join(i for p in plots for i in p.items)
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{H}' viewBox='0 0 {width} {H}'>\n"
           f"<rect width='100%' height='100%' fill='white'/>\n{body}\n</svg>\n")
    (HERE / f"{name}.svg").write_text(svg)
    subprocess.run(["rsvg-convert", "-f", "pdf", "-o", str(HERE / f"{name}.pdf"), str(HERE / f"{name}.svg")], check=True)


def derivative() -> None:
    f = lambda x: 0.25 * x * x + 0.5  # noqa: E731
    a, slope = 2.0, 1.0
    p = Plot((-1, 5), (0, 6))
    p.axes()
    p.curve(f, -1, 4.6)
    p.curve(lambda x: f(a) + slope * (x - a), 0.3, 4.6, color=RED, width=2.5)
    p.line([(a, f(a)), (a + 1.5, f(a))], color=GREY, width=2, dash="6,4")
    p.line([(a + 1.5, f(a)), (a + 1.5, f(a) + 1.5 * slope)], color=GREY, width=2, dash="6,4")
    p.text((a + 0.75, f(a) - 0.45), "Δx", GREY, anchor="middle")
    p.text((a + 1.6, f(a) + 0.6), "f′(a) Δx", GREY)
    p.dot((a, f(a)))
    p.text((a - 0.1, f(a) + 0.3), "(a, f(a))", anchor="end")
    p.text((4.2, f(4.2) + 0.25), "f(x)", BLUE, anchor="end", italic=True)
    p.text((0.2, 5.4), "f′(a) = slope of the tangent at a", RED)
    save("derivative", [p])


def second_derivative() -> None:
    half = W // 2
    up = Plot((-2.6, 2.6), (-0.6, 3.2), box=(20, 50, half - 20, H - 30))
    down = Plot((-2.6, 2.6), (-3.2, 0.6), box=(half + 20, 50, W - 20, H - 30))
    for plot, f, df, title, sub in (
        (up, lambda x: 0.4 * x * x, lambda x: 0.8 * x, "f″(x) &gt; 0", "slopes grow: curves up"),
        (down, lambda x: -0.4 * x * x, lambda x: -0.8 * x, "f″(x) &lt; 0", "slopes shrink: curves down"),
    ):
        plot.curve(f, -2.5, 2.5)
        for x in (-1.6, 0.0, 1.6):
            plot.curve(lambda t, x=x: f(x) + df(x) * (t - x), x - 0.55, x + 0.55, color=RED, width=2.5)
            plot.dot((x, f(x)))
        x0, y0, x1, _ = plot.box
        plot.items.append(f"<text x='{(x0 + x1) / 2}' y='24' {FONT} font-size='22' text-anchor='middle'>{title}</text>")
        plot.items.append(f"<text x='{(x0 + x1) / 2}' y='{H - 6}' {FONT} font-size='19' fill='{RED}' "
                          f"text-anchor='middle'>{sub}</text>")
    save("second-derivative", [up, down])


def _ellipses(p: Plot, levels, color=GREY, width=1.5):
    for c in levels:  # contours of f(x, y) = x^2 + 2 y^2
        r = math.sqrt(c)
        p.line([(r * math.cos(t), r / math.sqrt(2) * math.sin(t)) for t in (2 * math.pi * i / 160 for i in range(161))],
               color=color, width=width)


def directions() -> None:
    p = Plot((-3.2, 3.2), (-2, 2), box=(40, 10, W - 40, H - 10))
    _ellipses(p, [0.5, 1.5, 3, 5, 7.5])
    pt = (1.0, 0.5)  # f = 1.5 here
    p.arrow(pt, (2.2, 0.5), color=RED)
    p.text((2.25, 0.35), "x: ∂f/∂x", RED)
    p.arrow(pt, (1.0, 1.7), color=GREEN)
    p.text((1.1, 1.72), "y: ∂f/∂y", GREEN)
    p.arrow(pt, (1.0 - 0.85, 0.5 + 0.85), color=ORANGE)
    p.text((-0.1, 1.45), "u: ∇f · u", ORANGE, anchor="end")
    p.dot(pt)
    save("directions", [p])


def gradient_field() -> None:
    p = Plot((-3.2, 3.2), (-2, 2), box=(40, 10, W - 40, H - 10))
    _ellipses(p, [1, 2.5, 4.5, 7])
    for i in range(-3, 4):
        for j in range(-2, 3):
            x, y = i * 0.9, j * 0.75
            gx, gy = 2 * x, 4 * y
            n = math.hypot(gx, gy)
            if n < 1e-9:
                continue
            s = 0.45 * min(1.0, n / 4) / n
            p.arrow((x, y), (x + gx * s, y + gy * s), color=RED, width=2)
    pt = (math.sqrt(2.5) * math.cos(0.9), math.sqrt(2.5) / math.sqrt(2) * math.sin(0.9))
    gx, gy = 2 * pt[0], 4 * pt[1]
    n = math.hypot(gx, gy)
    tx, ty = -gy / n, gx / n
    p.line([(pt[0] - 1.3 * tx, pt[1] - 1.3 * ty), (pt[0] + 1.3 * tx, pt[1] + 1.3 * ty)], color=GREEN, width=3)
    p.arrow(pt, (pt[0] + 0.8 * gx / n, pt[1] + 0.8 * gy / n), color=RED, width=3.5)
    p.dot(pt)
    save("gradient-field", [p])


def linear_approximation() -> None:
    f = lambda x: 0.9 + 0.5 * math.exp(0.55 * x)  # noqa: E731
    df = lambda x: 0.275 * math.exp(0.55 * x)  # noqa: E731
    x0, eps = 1.0, 1.6
    p = Plot((-1, 4.2), (0, 6))
    p.axes("", "")
    p.curve(f, -1, 4.0)
    p.curve(lambda t: f(x0) + df(x0) * (t - x0), -0.6, 3.9, color=RED, width=2.5)
    for xx in (x0, x0 + eps):
        p.line([(xx, 0), (xx, f(xx))], color=GREY, width=1.5, dash="5,4")
    p.dot((x0, f(x0)))
    p.dot((x0 + eps, f(x0 + eps)), color=BLUE)
    p.dot((x0 + eps, f(x0) + df(x0) * eps), color=RED)
    p.text((x0, -0.05), "x", anchor="middle", italic=True) if False else None
    xa, ya = p.px(x0, 0)
    xb, _ = p.px(x0 + eps, 0)
    p.items.append(f"<text x='{xa:.1f}' y='{ya + 24:.1f}' {FONT} font-size='20' text-anchor='middle' font-style='italic'>x</text>")
    p.items.append(f"<text x='{xb:.1f}' y='{ya + 24:.1f}' {FONT} font-size='20' text-anchor='middle' font-style='italic'>x + ε</text>")
    p.text((x0 + eps + 0.12, f(x0 + eps) + 0.1), "f(x + ε)", BLUE)
    p.text((x0 + eps + 0.12, f(x0) + df(x0) * eps - 0.35), "f(x) + f′(x) ε", RED)
    p.text((-0.8, 5.4), "close when ε is small", GREY, size=18)
    save("linear-approximation", [p])


if __name__ == "__main__":
    derivative()
    second_derivative()
    directions()
    gradient_field()
    linear_approximation()
