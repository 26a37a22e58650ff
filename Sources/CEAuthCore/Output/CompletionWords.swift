/// Words offered to a shell's completion: instance names come from Cloud Elements' answers or
/// a script's --name, so a name may hold `$(...)` or backticks. bash hands the candidates to
/// `compgen -W`, which expands them: there only words of plain characters are offered. zsh and
/// fish take each line as data and quote what they insert: there a name with spaces is offered,
/// with zsh's `:` separator escaped. A word that cannot be made safe is skipped (its id is
/// always offered). Pure.
public enum CompletionWords {
    public static func offer(_ candidates: [String], prefix: String, shell: String?) -> [String] {
        var seen: Set<String> = []
        return candidates.filter { !$0.isEmpty && $0.hasPrefix(prefix) && seen.insert($0).inserted }.compactMap { word in
            switch shell {
            case "zsh": return isPrintable(word) ? word.replacingBytes("\\", with: "\\\\").replacingBytes(":", with: "\\:") : nil
            case "fish": return isPrintable(word) ? word : nil
            default: return isPlain(word) ? word : nil
            }
        }
    }

    /// Letters, digits and `. _ - + @ , %`: nothing any shell expands, splits or globs.
    static func isPlain(_ word: String) -> Bool {
        word.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil || "._-+@,%".unicodeScalars.contains(scalar)
        }
    }

    /// No character that could drive the terminal or end the line (a tab is fish's description separator).
    static func isPrintable(_ word: String) -> Bool {
        !word.unicodeScalars.contains(where: TerminalText.isUnsafe)
    }
}
