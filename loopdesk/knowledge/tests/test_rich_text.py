"""Rich text: what the sanitiser keeps and drops, how stored text is shown and searched."""

from __future__ import annotations

from loopdesk.knowledge import services
from loopdesk.knowledge.sanitize import clean_html, plain_text, render_html
from loopdesk.knowledge.search import search


def test_dangerous_markup_is_removed():
    dirty = ('<p onclick="steal()">步骤<script>alert(1)</script></p><iframe src="https://evil.example"></iframe>'
             '<a href="javascript:alert(1)">点</a><a href="https://help.example/x">帮助</a>'
             '<img src="https://evil.example/track.png"><img src="/knowledge/files/abc123/" alt="截图">'
             '<style>p{}</style><div class="x">段</div>')
    clean = clean_html(dirty)
    assert "script" not in clean and "alert" not in clean and "onclick" not in clean and "iframe" not in clean
    assert "evil.example" not in clean and "style" not in clean and "<div" not in clean
    assert '<a href="https://help.example/x" rel="noopener noreferrer">帮助</a>' in clean
    assert '<img src="/knowledge/files/abc123/" alt="截图">' in clean
    assert "<a rel=\"noopener noreferrer\">点</a>" in clean  # the javascript: href is gone, the text stays


def test_plain_text_keeps_its_lines_and_html_renders_sanitised():
    assert str(render_html("第一行\n第二行\n\n第二段 a < b")) == "<p>第一行<br>第二行</p>\n\n<p>第二段 a &lt; b</p>"
    assert str(render_html("<p>ok</p><script>x</script>")) == "<p>ok</p>"
    assert plain_text("<p>打开 <b>凭证</b></p><ul><li>一</li><li>二 &amp; 三</li></ul>") == "打开 凭证\n一\n二 & 三"


def test_services_store_sanitised_html_and_index_the_words(kb, publish):
    article = publish(title="凭证打印模板", type="troubleshooting", symptom="<p>打印<b>凭证</b>报错<script>x()</script></p>",
                      resolution='<ol><li>导入<a href="http://x.example">模板</a></li></ol>')
    assert article.symptom == "<p>打印<b>凭证</b>报错</p>"
    assert 'rel="noopener noreferrer"' in article.resolution
    assert article.text() == "打印凭证报错\n导入模板"
    hits = search(kb.agent, "导入模板")
    assert [h.id for h in hits] == [article.pk]
    assert "<" not in hits[0].snippet.replace("<mark>", "").replace("</mark>", "")


def test_an_empty_paragraph_is_not_content(kb):
    article = services.create_article(actor=kb.engineer, title="空", body="<p></p>")
    import pytest

    from loopdesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        services.transition_article(actor=kb.engineer, article=article, to="review")
    assert "body" in error.value.fields
