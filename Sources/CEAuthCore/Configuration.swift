import Foundation

/// Problems with what the user gave ceauth: options, environment variables, URLs.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case missingEnvironment([String])
    case invalidURL(what: String, value: String, reason: String)
    case conflictingOptions(String)
    case invalidValue(option: String, reason: String)

    public var description: String {
        switch self {
        case .missingEnvironment(let names):
            let list = names.joined(separator: ", ")
            return "missing \(names.count == 1 ? "environment variable" : "environment variables") \(list); set \(names.count == 1 ? "it" : "them") before running ceauth (secrets are read from the environment only, never from the command line)"
        case .invalidURL(let what, let value, let reason):
            return "\(what) '\(value)' cannot be used: \(reason)"
        case .conflictingOptions(let text):
            return text
        case .invalidValue(let option, let reason):
            return "\(option): \(reason)"
        }
    }
}

/// The Cloud Elements environments, by the name `--env` takes.
public enum CloudElementsEnvironment: String, CaseIterable, Sendable {
    case us, eu, staging

    public var baseURL: URL {
        switch self {
        case .us: return URL(string: "https://api.cloud-elements.com/elements/api-v2")!
        case .eu: return URL(string: "https://api.cloud-elements.co.uk/elements/api-v2")!
        case .staging: return URL(string: "https://staging.cloud-elements.com/elements/api-v2")!
        }
    }
}

public enum ServiceURL {
    /// Accepts `https://` anywhere and plain `http://` only to a loopback host, where nothing
    /// crosses the network; anything else would send secrets or codes in clear text.
    /// `sentByCEAuth`: ceauth itself sends requests there (not the browser). URLSession on Linux
    /// refuses IPv6 literal hosts such as `[::1]` as bad URLs, so those need a host name.
    public static func validate(_ text: String, what: String, sentByCEAuth: Bool = false) throws(ConfigurationError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, let url = components.url else {
            throw .invalidURL(what: what, value: text, reason: "it is not an absolute URL")
        }
        if sentByCEAuth, host.contains(":") {
            throw .invalidURL(what: what, value: text, reason: "an IPv6 address cannot be used here (Foundation's HTTP client on Linux refuses it); use a host name such as localhost")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidURL(what: what, value: text, reason: "it must not carry a user name or password")
        }
        switch scheme {
        case "https":
            return url
        case "http":
            guard isLoopback(host) else {
                throw .invalidURL(what: what, value: text, reason: "plain http:// is refused except to a loopback host (127.0.0.1, [::1], localhost); use https://")
            }
            return url
        default:
            throw .invalidURL(what: what, value: text, reason: "the scheme must be https")
        }
    }

    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
