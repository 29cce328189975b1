"""Follow-up questions made standalone: the deterministic rule, and the chat model's rewrite."""

from __future__ import annotations

import time

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel

from assistant.query.followup import depends_on_context, resolve, rewrite, rewrite_with_llm


@pytest.mark.parametrize(
    "history, question, expected",
    [
        # a numbered item replaces the previous one's number, keeping its label
        (["แนวทางที่ 7 คืออะไร"], "แล้วข้อ 8 ล่ะ", "แนวทางที่ 8 คืออะไร"),
        (["แนวทางที่ 7 คืออะไร"], "ข้อ 8 ล่ะครับ", "แนวทางที่ 8 คืออะไร"),
        (["แนวทางที่ 7 คืออะไร"], "แล้วแนวทางที่ 10 ล่ะ", "แนวทางที่ 10 คืออะไร"),
        (["มาตรา ๑๖ ว่าด้วยอะไร"], "แล้วมาตรา 17 ล่ะ", "มาตรา ๑๗ ว่าด้วยอะไร"),  # Thai digits kept
        # another kind of item replaces the label too
        (["แนวทางที่ 7 คืออะไร"], "แล้วมาตรา 17 ล่ะ", "มาตรา 17 คืออะไร"),
        # a chain of follow-ups keeps its subject
        (["แนวทางที่ 7 คืออะไร", "แล้วข้อ 8 ล่ะ"], "ข้อ 9 ล่ะ", "แนวทางที่ 9 คืออะไร"),
        # extra words of the follow-up are kept for the search
        (["แนวทางที่ 7 คืออะไร"], "แล้วข้อ 8 มีตัวอย่างไหม", "แนวทางที่ 8 คืออะไร มีตัวอย่างไหม"),
        # a kind of local government swaps for the previous one
        (["อบต. มีหน้าที่อะไรบ้าง"], "แล้วเทศบาลล่ะ", "เทศบาล มีหน้าที่อะไรบ้าง"),
        (["องค์การบริหารส่วนจังหวัดมีรายได้จากอะไร"], "แล้วเทศบาลนครล่ะ", "เทศบาลนครมีรายได้จากอะไร"),
        # nothing to substitute: searched with the previous question, without แล้ว…ล่ะ
        (["แนวทางที่ 7 คืออะไร"], "แล้วงบประมาณล่ะ", "แนวทางที่ 7 คืออะไร งบประมาณ"),
        (["มาตรา 16 ว่าอย่างไร"], "ข้อนี้ใช้กับเทศบาลไหม", "มาตรา 16 ว่าอย่างไร ข้อนี้ใช้กับเทศบาลไหม"),
        # standalone questions are left alone
        (["แนวทางที่ 7 คืออะไร"], "แนวทางที่ 2 ของการพัฒนาเมืองอัจฉริยะคืออะไร", "แนวทางที่ 2 ของการพัฒนาเมืองอัจฉริยะคืออะไร"),
        ([], "แล้วข้อ 8 ล่ะ", "แล้วข้อ 8 ล่ะ"),
        (None, "แล้วข้อ 8 ล่ะ", "แล้วข้อ 8 ล่ะ"),
    ],
)
def test_rule(history, question, expected):
    assert rewrite(question, history) == expected


def test_a_date_is_not_an_item():
    # "วันที่ 30" must not be taken for a numbered item and have its number replaced
    assert rewrite("แล้วข้อ 8 ล่ะ", ["การประชุมวันที่ 30 เมษายน 2567 เสนออะไร"]) == "การประชุมวันที่ 30 เมษายน 2567 เสนออะไร ข้อ 8"


def test_depends_on_context():
    assert depends_on_context("แล้วข้อ 8 ล่ะ") and depends_on_context("ข้อนี้ใช้กับใคร")
    assert not depends_on_context("องค์การบริหารส่วนตำบลมีหน้าที่อะไรบ้างตามกฎหมาย")


def test_resolve_history():
    assert resolve(["แนวทางที่ 1 คืออะไร", "แล้วข้อ 2 ล่ะ", "ข้อ 3 ล่ะ"]) == "แนวทางที่ 3 คืออะไร"


def fake(*replies):
    return GenericFakeChatModel(messages=iter(list(replies)))


def test_llm_rewrite_is_used():
    q, how = rewrite_with_llm("แล้วข้อ 8 ล่ะ", ["แนวทางที่ 7 คืออะไร"], fake("คำถามที่เขียนใหม่: แนวทางที่ 8 คืออะไร"))
    assert (q, how) == ("แนวทางที่ 8 คืออะไร", "llm")


def test_llm_rewrite_not_asked_for_standalone_questions():
    class Boom(FakeListChatModel):
        def _call(self, *a, **k):
            raise AssertionError("called")

    q, how = rewrite_with_llm("องค์การบริหารส่วนตำบลมีหน้าที่อะไรบ้างตามกฎหมาย", ["แนวทางที่ 7 คืออะไร"], Boom(responses=["x"]))
    assert how == "none" and q.startswith("องค์การบริหารส่วนตำบล")


class Failing(FakeListChatModel):
    """An endpoint that errors, after `sleep` seconds."""

    def _call(self, *a, **k):
        if self.sleep:
            time.sleep(self.sleep)
        raise ConnectionError("connection refused")


@pytest.mark.parametrize("sleep", [0.0, 2.0])  # fails at once / past the deadline
def test_llm_rewrite_failure_falls_back_to_the_rule(sleep):
    t0 = time.monotonic()
    q, how = rewrite_with_llm("แล้วข้อ 8 ล่ะ", ["แนวทางที่ 7 คืออะไร"], Failing(responses=["x"], sleep=sleep), timeout=0.3)
    assert (q, how) == ("แนวทางที่ 8 คืออะไร", "rule")
    assert time.monotonic() - t0 < 1.5


@pytest.mark.parametrize("reply", ["", "Guideline 8 is about climate change.", "แนวทางที่ 8 คือการรับกับการเปลี่ยนแปลงสภาพภูมิอากาศ [1]"])
def test_llm_rewrite_that_is_no_question_falls_back(reply):
    q, how = rewrite_with_llm("แล้วข้อ 8 ล่ะ", ["แนวทางที่ 7 คืออะไร"], fake(reply or " "))
    assert (q, how) == ("แนวทางที่ 8 คืออะไร", "rule")
