"""Markdown rendering: safe against hostile input, faithful for tables, code and task lists."""

from __future__ import annotations

import re

import pytest

from console.markdown import MAX_EMBEDS, is_metrics_link, render, safe_url

HREF = re.compile(r'<a href="([^"]*)"')


def hrefs(text: str) -> list[str]:
    return HREF.findall(render(text).html)


def test_script_tags_are_text_not_markup():
    out = render("<script>alert(1)</script>\n\nand <b>bold</b> inline").html
    assert "<script" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src=x onerror="alert(1)">',
        "<svg/onload=alert(1)>",
        '<iframe src="http://evil"></iframe>',
        '<a href="javascript:alert(1)">x</a>',
        "<div style=\"background:url('http://evil/track')\">x</div>",
    ],
)
def test_raw_html_never_becomes_an_element(hostile):
    out = render(f"before {hostile} after\n\n{hostile}").html
    assert "<img" not in out and "<svg" not in out and "<iframe" not in out
    assert "<div" not in out and "&lt;" in out
    # A URL written inside the HTML may show as an ordinary web link, never as script.
    assert all(h.startswith("http://") for h in hrefs(hostile))


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "file:///etc/passwd",
        "FILE:///C:/Windows/win.ini",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "relative/path",
    ],
)
def test_unsafe_link_targets_become_plain_text(target):
    for text in (f"[click]({target})", f"[click][r]\n\n[r]: {target}", f"![pic]({target})"):
        out = render(text).html
        assert hrefs(text) == [], text
        assert "click" in out or "pic" in out


@pytest.mark.parametrize(
    "target",
    [
        "http://example.com/a",
        "https://example.com/a?b=1&c=2",
        "mailto:oncall@example.com",
        "incident-console://incident/4",
    ],
)
def test_safe_link_targets_are_kept(target):
    assert [h.replace("&amp;", "&") for h in hrefs(f"[ok]({target})")] == [target]


def test_scheme_case_is_normalised_for_allowed_links():
    assert safe_url("HTTPS://Example.com/X") == "https://Example.com/X"
    assert safe_url("https://") is None


def test_autolinks_and_bare_urls():
    text = "<https://example.com/x> mail <me@example.com> bare http://example.com/y. done"
    assert hrefs(text) == ["https://example.com/x", "mailto:me@example.com", "http://example.com/y"]
    assert hrefs("<javascript:alert(1)>") == []
    assert hrefs("`http://in.code/span`") == []


def test_images_are_never_fetched_but_offered_as_links():
    out = render("![the graph](https://example.com/graph.png)").html
    assert "<img" not in out
    assert 'href="https://example.com/graph.png"' in out
    assert "the graph" in out


def test_entities_are_kept_as_characters_not_markup():
    out = render("&lt;script&gt; &amp; &copy; AT&T").html
    assert "<script" not in out
    assert "&lt;script&gt;" in out and "&copy;" in out and "AT&amp;T" in out


def test_tables_get_visible_borders():
    out = render("| a | b |\n|---|---|\n| 1 | <i>2</i> |").html
    assert "<table" in out and 'border="1"' in out
    assert "<th>a</th>" in out and "<td>1</td>" in out
    assert "&lt;i&gt;2&lt;/i&gt;" in out


def test_fenced_code_is_escaped_and_keeps_its_language():
    out = render("```python\nif a < b:\n    print('<b>')\n```").html
    assert '<pre><code class="language-python">' in out
    assert "a &lt; b" in out and "&lt;b&gt;" in out


def test_task_lists_show_boxes():
    out = render("- [ ] to do\n- [x] done\n- [X] also done\n- plain").html
    assert "☐ to do" in out and "☑ done" in out and "☑ also done" in out
    assert "[ ]" not in out and "[x]" not in out
    assert "<li>plain</li>" in out


def test_loose_task_lists_show_boxes():
    out = render("- [ ] first\n\n- [x] second").html
    assert "☐ first" in out and "☑ second" in out


@pytest.mark.parametrize(
    "url",
    [
        "http://prometheus:9090/graph?g0.expr=up&g0.range_input=1h",
        "https://grafana.example.com/d/AbC12/service?orgId=1&panelId=4&from=1&to=2",
        "https://grafana.example.com/grafana/d/AbC12/service?panelId=4&from=1&to=2",
        "incident-console://metrics?dashboard=d&group=g&title=t&y_label=y",
    ],
)
def test_metrics_links_are_recognised(url):
    assert is_metrics_link(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://prometheus:9090/graph",
        "https://grafana.example.com/d/AbC12/service",
        "javascript:/graph?g0.expr=up",
        "https://example.com/",
        "https://grafana.example.com/grafana/d/AbC12/service?panelId=4",  # no from/to
        "incident-console://metrics?dashboard=d&group=g&title=t",  # no y_label
    ],
)
def test_other_links_are_not_metrics(url):
    assert not is_metrics_link(url)


def test_lines_with_only_metrics_links_become_placeholders():
    text = "\n".join(
        [
            "# Summary",  # 0
            "",  # 1
            "http://prom:9090/graph?g0.expr=up",  # 2
            "see http://prom:9090/graph?g0.expr=up",  # 3: has words too
            "",  # 4
            # 5: two, side by side
            "<http://prom/graph?g0.expr=a>, https://g/d/u/s?panelId=2&from=1&to=2",
            "```",  # 6
            "http://prom:9090/graph?g0.expr=in_code",  # 7: inside a fence
            "```",  # 8
            "    http://prom:9090/graph?g0.expr=indented_code",  # 9
        ]
    )
    rendered = render(text)
    assert rendered.embed_rows == [2, 5]
    assert rendered.embed_links == [
        ["http://prom:9090/graph?g0.expr=up"],
        ["http://prom/graph?g0.expr=a", "https://g/d/u/s?panelId=2&from=1&to=2"],
    ]
    assert rendered.html.count('class="metrics-embed"') == 2
    assert 'name="metrics-embed-2"' in rendered.html and 'name="metrics-embed-5"' in rendered.html
    assert "icembed" not in rendered.html


def test_crlf_input_counts_rows_the_same():
    assert render("a\r\n\r\nhttp://p/graph?g0.expr=up\r\n").embed_rows == [2]


def test_embeds_are_capped():
    line = "http://p/graph?g0.expr=up"
    rendered = render("\n".join([line] * (MAX_EMBEDS + 5)))
    assert len(rendered.embed_rows) == MAX_EMBEDS


def test_markers_cannot_be_forged_by_the_author():
    first = render("http://p/graph?g0.expr=up")
    assert first.embed_rows == [0]
    assert render("icembed0000000000000000x0").embed_rows == []


def test_javascript_look_alike_metrics_line_is_not_an_embed():
    rendered = render("javascript:alert(1)//graph?g0.expr=up")
    assert rendered.embed_rows == [] and "href" not in rendered.html
