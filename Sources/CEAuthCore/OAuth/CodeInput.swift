#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The authorization code in what a script hands ceauth on standard input: the code itself,
/// or the whole address the browser was sent back to, whose `error`, `iss` and `code` are read
/// as the listener reads them. Pure.
public enum CodeInput {
    /// `required`: the scopes the element needs; a whole address whose `scope` lacks one is a
    /// partial grant, as at the listener.
    public static func code(from text: String, issuer: String?, required: [String] = [], element: String = "") throws -> String {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw ConfigurationError.invalidValue(option: "standard input", reason: "no authorization code was given; pipe the code, or the address the browser was sent back to, into ceauth")
        }
        guard trimmed.contains("?") || trimmed.lowercased().hasPrefix("http") else {
            guard !trimmed.unicodeScalars.contains(where: { $0.properties.isWhitespace || TerminalText.isUnsafe($0) }) else {
                throw ConfigurationError.invalidValue(option: "standard input", reason: "the code has spaces or control characters in it; give the code alone, or the whole address")
            }
            return trimmed
        }
        var query = Substring(trimmed.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first ?? "")
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        let values: [String: String]
        switch RedirectQuery.values(query) {
        case .failure(.unreadable): throw ConfigurationError.invalidValue(option: "standard input", reason: "the address's query cannot be read")
        case .failure(.repeated(let name)):
            throw ConfigurationError.invalidValue(option: "standard input", reason: "the parameter \(name) appears more than once in the address")
        case .success(let read): values = read
        }
        switch RedirectQuery.outcome(values, issuer: issuer, required: required, element: element) {
        case .code(let code)?: return code
        case .failure(let error)?: throw error
        case nil: throw ConfigurationError.invalidValue(option: "standard input", reason: "the address carries neither a code nor an error")
        }
    }
}

/// A redirect URI of a flow the caller runs itself (`url`, `create`): https, or plain http to
/// loopback; used exactly as written, since Google compares it as written.
public enum OwnRedirectURI {
    public static func validate(_ text: String) throws -> String {
        let url = try ServiceURL.validate(text, what: "--redirect-uri")
        guard url.fragment == nil else {
            throw ConfigurationError.invalidURL(what: "--redirect-uri", value: text, reason: "a redirect URI cannot have a fragment")
        }
        if let reason = LoopbackRedirect.browserWouldRewrite(URLComponents(string: text)?.percentEncodedPath ?? "") {
            throw ListenerError.invalidRedirectURI(text, reason: reason)
        }
        return text
    }
}
