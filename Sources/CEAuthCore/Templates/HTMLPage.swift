/// Fills an HTML page template: each `{{name}}` becomes the HTML-escaped value (or nothing).
/// Escaping every value means a name or error text from a redirect cannot inject markup.
public enum HTMLPage {
    public static func render(_ template: String, values: [String: String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let name = String(afterOpen[..<close.lowerBound])
            out += escape(values[name] ?? "")
            rest = afterOpen[close.upperBound...]
        }
        out += rest
        return out
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
