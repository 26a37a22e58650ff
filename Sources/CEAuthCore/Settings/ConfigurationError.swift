/// Problems with what the user gave ceauth: options, environment variables, URLs.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case missingEnvironment([String])
    case invalidURL(what: String, value: String, reason: String)
    case conflictingOptions(String)
    case invalidValue(option: String, reason: String)
    case controlCharacterInVariable(String, character: String)
    /// libcurl, which ceauth loads when it first needs HTTP, is missing or too old.
    case httpClientUnavailable(String)

    /// The name of the first control character in `value` (e.g. "a carriage return"), or nil.
    public static func controlCharacter(in value: String) -> String? {
        guard let scalar = value.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return nil
        }
        switch scalar {
        case "\r": return "a carriage return (CR)"
        case "\n": return "a line feed (LF)"
        case "\t": return "a tab"
        default:
            return "the control character U+" + hexDigits(scalar.value, 4, uppercase: true)
        }
    }

    public var description: String {
        switch self {
        case .missingEnvironment(let names):
            let list = names.joined(separator: ", ")
            return "missing \(names.count == 1 ? "environment variable" : "environment variables") \(list); set \(names.count == 1 ? "it" : "them") before running ceauth (secrets come from the environment, a profile's secret command or the keyring through ceauth secrets set, never from the command line)"
        case .invalidURL(let what, let value, let reason):
            return "\(what) '\(value)' cannot be used: \(reason)"
        case .conflictingOptions(let text):
            return text
        case .invalidValue(let option, let reason):
            return "\(option): \(reason)"
        case .httpClientUnavailable(let problem):
            return "ceauth talks to Cloud Elements through libcurl, and \(problem)"
        case .controlCharacterInVariable(let name, let character):
            return "\(name) contains \(character), which cannot be sent in an HTTP header; remove it and run again (a value read from a file with Windows line endings ends in CR: tr -d '\\r'). Its value is not shown"
        }
    }
}
