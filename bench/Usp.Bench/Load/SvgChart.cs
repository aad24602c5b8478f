using System.Globalization;
using System.Net;
using System.Text;

namespace Usp.Bench.Load;

/// <summary>A small line chart written as SVG (no dependencies): linear or logarithmic axes, one polyline per series.</summary>
internal sealed class SvgChart(string title, string xLabel, string yLabel)
{
    private const int Width = 640, Height = 400, Left = 70, Right = 170, Top = 40, Bottom = 55;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
    private readonly List<(string Name, List<(double X, double Y)> Points)> _series = [];

    public bool LogX { get; init; }

    public bool LogY { get; init; }

    /// <summary>A line under the title (date, machine, load average).</summary>
    public string Subtitle { get; init; } = "";

    public void Add(string name, IEnumerable<(double X, double Y)> points) =>
        _series.Add((name, points.Where(p => double.IsFinite(p.Y) && (!LogY || p.Y > 0)).ToList()));

    public string Render()
    {
        var all = _series.SelectMany(s => s.Points).ToList();
        if (all.Count == 0)
        {
            all.Add((1, 1));
        }

        (double x0, double x1) = Range(all.Select(p => p.X), LogX, fromZero: false);
        (double y0, double y1) = Range(all.Select(p => p.Y), LogY, fromZero: !LogY);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Px(double x) => Left + ((LogX ? Math.Log10(x) : x) - x0) / (x1 - x0) * plotW;
        double Py(double y) => Top + plotH - ((LogY ? Math.Log10(y) : y) - y0) / (y1 - y0) * plotH;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        Text(svg, Width / 2.0, 18, title, "middle", 14, bold: true);
        Text(svg, Width / 2.0, 33, Subtitle, "middle", 10);
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#444\"/>\n");
        foreach (double tick in Ticks(x0, x1, LogX))
        {
            double px = Px(tick);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:F1}\" y1=\"{Top}\" x2=\"{px:F1}\" y2=\"{Top + plotH}\" stroke=\"#ddd\"/>\n");
            Text(svg, px, Top + plotH + 15, Format(tick), "middle", 11);
        }

        foreach (double tick in Ticks(y0, y1, LogY))
        {
            double py = Py(tick);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{py:F1}\" x2=\"{Left + plotW}\" y2=\"{py:F1}\" stroke=\"#ddd\"/>\n");
            Text(svg, Left - 5, py + 4, Format(tick), "end", 11);
        }

        Text(svg, Left + plotW / 2, Height - 12, xLabel + (LogX ? " (log scale)" : ""), "middle", 12);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{Top + plotH / 2:F0}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 {Top + plotH / 2:F0})\">{Escape(yLabel + (LogY ? " (log scale)" : ""))}</text>\n");
        for (int i = 0; i < _series.Count; i++)
        {
            string color = Colors[i % Colors.Length];
            var points = _series[i].Points.OrderBy(p => p.X).ToList();
            string line = string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{Px(p.X):F1},{Py(p.Y):F1}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{line}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
            foreach (var p in points)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(p.X):F1}\" cy=\"{Py(p.Y):F1}\" r=\"3\" fill=\"{color}\"/>\n");
            }

            double ly = Top + 10 + (i * 18);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Width - Right + 12}\" y1=\"{ly}\" x2=\"{Width - Right + 32}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
            Text(svg, Width - Right + 36, ly + 4, _series[i].Name, "start", 11);
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static (double, double) Range(IEnumerable<double> values, bool log, bool fromZero)
    {
        var v = values.Select(x => log ? Math.Log10(x) : x).ToList();
        double lo = v.Min(), hi = v.Max();
        if (log)
        {
            return (Math.Floor(lo), Math.Max(Math.Ceiling(hi), Math.Floor(lo) + 1));
        }

        if (fromZero)
        {
            lo = Math.Min(0, lo);
        }

        if (hi <= lo)
        {
            hi = lo + 1;
        }

        return (lo, hi + ((hi - lo) * 0.08));
    }

    private static IEnumerable<double> Ticks(double lo, double hi, bool log)
    {
        if (log)
        {
            for (double e = lo; e <= hi + 1e-9; e++)
            {
                yield return Math.Pow(10, e);
            }

            yield break;
        }

        double span = hi - lo, raw = span / 6, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (double t = Math.Ceiling(lo / step) * step; t <= hi + 1e-9; t += step)
        {
            yield return t;
        }
    }

    private static string Format(double v) => v >= 10000 ? v.ToString("N0", CultureInfo.InvariantCulture)
        : v >= 10 || v == Math.Round(v) ? v.ToString("0.#", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, int size, bool bold = false) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{y:F1}\" text-anchor=\"{anchor}\" font-size=\"{size}\"{(bold ? " font-weight=\"bold\"" : "")}>{Escape(text)}</text>\n");

    private static string Escape(string s) => WebUtility.HtmlEncode(s);
}
