/// `--paste`: the address the browser ended on, pasted by the person (the page may not have
/// loaded on another machine, but the address bar holds `code` and `state`). Read into the
/// request the listener would have received, so it gets exactly the listener's checks.
public enum PastedRedirect {
    /// A GET of the address's path and query; nil when the text is not an address with a query.
    public static func head(_ text: String) -> HTTPRequestHead? {
        var rest = Substring(text.trimmingWhitespace())
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let scheme = rest.firstRange(of: "://") {
            let afterAuthority = rest[scheme.upperBound...]
            guard let slash = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return nil }
            rest = afterAuthority[slash...]
        }
        if rest.hasPrefix("?") { rest = "/" + rest }
        guard rest.hasPrefix("/"), rest.contains("?"),
              !rest.unicodeScalars.contains(where: { $0.properties.isWhitespace || TerminalText.isUnsafe($0) }) else { return nil }
        return HTTPRequestHead(method: "GET", target: String(rest), version: "HTTP/1.1", headers: [])
    }
}
