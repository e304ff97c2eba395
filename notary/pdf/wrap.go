package pdf

import (
	"strings"
	"unicode"
)

// wrap breaks text into lines no wider than width, as measure measures
// them. Each '\n' starts a new line. A line breaks between words of Latin
// text, and between any two CJK characters; a word too long for a line (a
// digest, a URL) breaks between its characters. Closing punctuation (，。
// 、）and the like) never starts a line: it hangs at the end of the line
// before, as Chinese typesetting does.
func wrap(measure func(string) (float64, error), text string, width float64) ([]string, error) {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		ls, err := wrapParagraph(measure, para, width)
		if err != nil {
			return nil, err
		}
		lines = append(lines, ls...)
	}
	return lines, nil
}

func wrapParagraph(measure func(string) (float64, error), para string, width float64) ([]string, error) {
	var lines []string
	line := ""
	for _, tok := range tokens(para) {
		candidate := line + tok
		w, err := measure(candidate)
		if err != nil {
			return nil, err
		}
		switch {
		case w <= width, hangs(tok) && line != "":
			line = candidate
		case tok == " ":
			lines, line = append(lines, strings.TrimRight(line, " ")), ""
		default:
			if strings.TrimSpace(line) != "" {
				lines = append(lines, strings.TrimRight(line, " "))
			}
			if line, err = breakWord(measure, tok, width, &lines); err != nil {
				return nil, err
			}
		}
	}
	return append(lines, strings.TrimRight(line, " ")), nil
}

// breakWord puts tok on lines of its own, character by character while it
// is wider than width, and returns what is left for the current line.
func breakWord(measure func(string) (float64, error), tok string, width float64, lines *[]string) (string, error) {
	w, err := measure(tok)
	if err != nil || w <= width {
		return tok, err
	}
	line := ""
	for _, r := range tok {
		w, err := measure(line + string(r))
		if err != nil {
			return "", err
		}
		if w > width && line != "" {
			*lines = append(*lines, line)
			line = ""
		}
		line += string(r)
	}
	return line, nil
}

// tokens splits text into break opportunities: each CJK character alone,
// each space alone, and runs of other characters (words).
func tokens(text string) []string {
	var out []string
	word := []rune{}
	flush := func() {
		if len(word) > 0 {
			out = append(out, string(word))
			word = word[:0]
		}
	}
	for _, r := range text {
		switch {
		case r == ' ' || r == '\t':
			flush()
			out = append(out, " ")
		case isCJK(r):
			flush()
			out = append(out, string(r))
		default:
			word = append(word, r)
		}
	}
	flush()
	return out
}

// isCJK reports whether a line may break on either side of r: Han,
// kana, Hangul, and CJK and full-width punctuation.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef || r == '—'
}

// hangs reports whether tok must not start a line.
func hangs(tok string) bool {
	return tok != "" && strings.ContainsAny(tok, "，。、；：！？）】》」』”’,.;:!?)") && len([]rune(tok)) == 1
}
