/// Characters that must never reach a terminal as they are: they can move the cursor, rewrite
/// the screen or the window title (C0, DEL, C1 and escape sequences built from them), start a
/// new line, or reorder what is shown (bidirectional overrides such as U+202E).
public enum TerminalText {
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// Each unsafe character shown as a visible escape (`\x1b`, `\u202e`, `\r`); line feeds and
    /// tabs kept when `keepLayout` (ceauth's own messages have several lines, listings columns):
    /// neither can move the cursor anywhere but forward.
    public static func sanitize(_ text: String, keepLayout: Bool = true) -> String {
        // Line feeds and tabs that are kept make no copy: a listing of thousands of lines has them.
        let kept = { (scalar: Unicode.Scalar) in keepLayout && (scalar == "\n" || scalar == "\t") }
        guard text.unicodeScalars.contains(where: { isUnsafe($0) && !kept($0) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar), !(keepLayout && (scalar == "\n" || scalar == "\t")) else {
                out.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            default:
                escaped = scalar.value < 0x100 ? "\\x" + hexDigits(scalar.value, 2) : "\\u" + hexDigits(scalar.value, 4)
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }
}

/// The one filter between text and the person: every terminal line, every value on a result
/// page and every text value ceauth prints as JSON passes it. The order matters: unsafe
/// characters are escaped, then secrets replaced, and only then is anything shortened, so a
/// cut can never leave part of a secret behind.
public struct SafeText: Sendable {
    public var redactor: Redactor
    /// Longest line (in characters) shown; a longer one is cut with "…".
    public var maxLineLength: Int

    public init(redactor: Redactor, maxLineLength: Int = 1200) {
        self.redactor = redactor
        self.maxLineLength = maxLineLength
    }

    /// A message for the terminal: several lines, each escaped, redacted, then shortened.
    public func lines(_ text: String) -> String {
        let safe = redactor.redact(TerminalText.sanitize(text))
        // No line has more bytes than the limit, so none has more characters: nothing to cut
        // (a listing of thousands of lines is not split and joined again).
        var longest = 0, run = 0
        for byte in safe.utf8 {
            run = byte == 0x0A ? 0 : run + 1
            longest = max(longest, run)
        }
        guard longest > maxLineLength else { return safe }
        return safe.split(separator: "\n", omittingEmptySubsequences: false)
            .map { Self.shorten(String($0), to: maxLineLength) }
            .joined(separator: "\n")
    }

    /// One value (a page field, a name): on one line, redacted, then shortened to `limit`.
    public func value(_ text: String, limit: Int = 1000) -> String {
        Self.shorten(redactor.redact(TerminalText.sanitize(text, keepLayout: false)), to: limit)
    }

    /// Secrets replaced, nothing else changed: for values that go on as data (JSON on stdout),
    /// where the JSON writer escapes what a terminal must not see.
    public func redacted(_ text: String) -> String {
        redactor.redact(text)
    }

    static func shorten(_ text: String, to limit: Int) -> String {
        text.utf8.count > limit && text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

/// `value` in lower-case hex, padded with zeros to `width` digits.
func hexDigits(_ value: UInt32, _ width: Int, uppercase: Bool = false) -> String {
    let digits = String(value, radix: 16, uppercase: uppercase)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
