"""A link argued in words is shown plainly as "argued, not checked", and the PDF's opening
sentence claims checks only for displayed steps."""

from derive.core.document import Problem
from derive.render.environment import environment
from derive.render.view import Viewer


def _render_blocks(problem: Problem) -> list[str]:
    viewer = Viewer({}, {})
    template = environment().get_template("blocks/prose.tex.j2")
    return [template.render(block=viewer.block(b)) for b in problem.parts[0].blocks]


def test_an_argued_paragraph_is_marked_and_a_plain_one_is_not():
    problem = Problem(9, "t")
    part = problem.part("a", "t")
    part.say("A remark.")
    part.argue("So every layer matches.")
    plain, argued = _render_blocks(problem)
    assert "Argued, not checked" not in plain and "A remark." in plain
    assert "Argued, not checked" in argued and r"\statusargued" in argued


def test_the_opening_sentence_explains_the_argued_mark():
    env = environment()
    source = "".join(env.loader.get_source(env, name)[0] for name in ("document.tex.j2", "preamble.tex.j2"))
    assert "Every displayed step was checked" in source
    assert r"\newcommand{\statusargued}" in source and "Argued, not checked" in source


def test_the_prose_only_links_of_homework_7_are_marked_argued():
    from derive.documents.hw7 import p4_conv_backprop, p5_net_in_net

    def argued_text(problem) -> list[str]:
        return [" ".join(str(x) for x in b.parts) for p in problem.parts for b in p.blocks
                if getattr(b, "argued", False)]

    p4 = " ".join(argued_text(p4_conv_backprop.problem()))
    p5 = " ".join(argued_text(p5_net_in_net.problem()))
    assert "by the chain rule through $z$" in p4  # 4a: the link through z
    assert "held fixed at the point" in p4  # 4a v: g held fixed, a stand-in
    assert "every layer of Net2 computes what the matching" in p5  # 5a: matching the layers
    assert "Now follow a 32 × 32 window" in p5  # 5b: the induction through the layers
