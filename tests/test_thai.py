from assistant.text import thai


def test_normalize_repairs_corpus_quirks():
    raw = "ว่า \x93พระราชบัญญัติ\x94\r\nมาตรา\u00a0๑๖\u200bให้\n\n\n\nจบ"
    assert thai.normalize(raw) == 'ว่า "พระราชบัญญัติ"\nมาตรา ๑๖ให้\n\nจบ'


def test_normalize_repairs_broken_pdf_marks():
    assert thai.normalize("กํา") == "กำ"  # nikhahit + sara aa → sara am
    assert thai.normalize("ถ ึง") == "ถึง"  # stray space before a vowel mark
    assert thai.normalize("น ้ำ") == "น้ำ"


def test_normalize_is_idempotent():
    text = "พระราชบัญญัติ\u00a0เทศบาล  พ.ศ. ๒๔๙๖\r\n"
    once = thai.normalize(text)
    assert thai.normalize(once) == once


def test_index_tokens_fold_digits_and_drop_stopwords():
    toks = thai.index_tokens("มาตรา ๑๖ ของ พระราชบัญญัติ และ Smart City")
    assert "16" in toks and "๑๖" not in toks
    assert "และ" not in toks and "ของ" not in toks
    assert "smart" in toks and "city" in toks


def test_thai_and_arabic_digits_tokenise_alike():
    assert thai.index_tokens("มาตรา ๑๖") == thai.index_tokens("มาตรา 16")


def test_sentences_split_thai_paragraph():
    text = "กรมส่งเสริมการปกครองท้องถิ่นจัดประชุมผู้เชี่ยวชาญ ที่ประชุมเสนอแนวทางสิบข้อ\nบรรทัดที่สอง"
    sents = thai.sentences(text)
    assert len(sents) >= 2
    assert "".join(sents).replace(" ", "") == text.replace(" ", "").replace("\n", "")
