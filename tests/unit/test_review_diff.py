"""The marks on differing characters of the review screen: pure, no database."""

from enrollment.linking.diff import Segment, diff_segments, differs, normalise


def changed(segments):
    return "".join(s.text for s in segments if s.changed)


def text(segments):
    return "".join(s.text for s in segments)


def test_identical_values_mark_nothing():
    assert diff_segments("NGUYEN VAN AN", "NGUYEN VAN AN") == [Segment("NGUYEN VAN AN", False)]


def test_case_width_and_spacing_are_not_differences():
    assert changed(diff_segments("ｎｇｕｙｅｎ  van\u3000an", "NGUYEN VAN AN")) == ""
    assert text(diff_segments("ｎｇｕｙｅｎ  van\u3000an", "NGUYEN VAN AN")) == "NGUYEN VAN AN"


def test_a_typo_marks_only_the_letters_that_differ():
    segments = diff_segments("AUNG KYAW MOO", "AUNG KYAW MOE")
    assert text(segments) == "AUNG KYAW MOO"
    assert changed(segments) == "O"
    assert segments[-1] == Segment("O", True)


def test_dates_mark_the_digits_that_differ_position_by_position():
    assert diff_segments("1999-07-02", "1999-07-20", mode="fixed") == [
        Segment("1999-07-", False),
        Segment("02", True),
    ]
    assert changed(diff_segments("1999-07-02", "1999-12-02", mode="fixed")) == "07"


def test_extra_characters_are_marked():
    assert (
        changed(diff_segments("小金井市本町5-25-23 小金井第二寮 104", "小金井市本町5-25-23 小金井第二寮"))
        == " 104"
    )


def test_names_in_another_order_mark_nothing_word_by_word():
    assert changed(diff_segments("AN NGUYEN VAN", "NGUYEN VAN AN", mode="words")) == ""
    # without word matching the reordering shows
    assert changed(diff_segments("AN NGUYEN VAN", "NGUYEN VAN AN")) != ""


def test_word_matching_marks_a_word_missing_from_the_other_name():
    segments = diff_segments("SANTOS MARIA CRUZ", "SANTOS MARIA", mode="words")
    assert changed(segments) == "CRUZ"
    assert changed(diff_segments("AUNG KYAW MOO", "MOE AUNG KYAW", mode="words")) == "O"


def test_an_empty_side_marks_nothing():
    assert diff_segments("", "NGUYEN") == []
    assert diff_segments(None, "NGUYEN") == []
    assert diff_segments("NGUYEN", "") == [Segment("NGUYEN", False)]


def test_segments_join_back_to_the_normalised_value():
    for a, b in [
        ("Tran Thi Binh", "TRAN THI BINH"),
        ("東京都小金井市本町１丁目", "東京都小金井市本町2丁目"),
        ("M", "F"),
    ]:
        assert text(diff_segments(a, b)) == normalise(a)
        assert all(s.text for s in diff_segments(a, b))


def test_differs():
    assert differs("m", "M") is False
    assert differs("M", "F") is True
    assert differs("", "F") is False


def test_the_template_tag_escapes_the_text():
    from enrollment.templatetags.review import diff_marks, signed

    html = diff_marks("<B>", "<A>")
    assert "<B>" not in html
    assert '&lt;<mark class="diff-mark">B</mark>&gt;' == html
    assert diff_marks("", "X") == "—"
    assert diff_marks("1999-07-02", "1999-07-20", "fixed") == '1999-07-<mark class="diff-mark">02</mark>'
    assert (signed(12.34), signed(-3.3), signed(0.0)) == ("+12.3", "−3.3", "0.0")
