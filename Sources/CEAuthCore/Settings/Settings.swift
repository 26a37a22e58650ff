#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where ceauth's settings come from, in one place: the environment variables it reads, the
/// Cloud Elements base URL and the keyfile location. Flags win over the environment, which
/// wins over the defaults.
public enum Settings {
    /// Names of the environment variables ceauth reads.
    public enum Variable {
        public static let userSecret = "CEAUTH_USER_SECRET"
        public static let orgSecret = "CEAUTH_ORG_SECRET"
        public static let clientID = "CEAUTH_CLIENT_ID"
        public static let clientSecret = "CEAUTH_CLIENT_SECRET"
        public static let baseURL = "CEAUTH_BASE_URL"
        public static let authorizeURL = "CEAUTH_AUTHORIZE_URL"
        public static let tokenURL = "CEAUTH_TOKEN_URL"
        public static let revokeURL = "CEAUTH_REVOKE_URL"
        public static let keyfile = "CEAUTH_KEYFILE"
        public static let templates = "CEAUTH_TEMPLATES"
    }

    /// The Cloud Elements API: `--base-url`, `--env`, `CEAUTH_BASE_URL`, or the US production host.
    public static func baseURL(flag: String?, environmentName: String?, environment: [String: String]) throws(ConfigurationError) -> URL {
        if let flag, environmentName != nil {
            throw .conflictingOptions("--base-url '\(flag)' and --env both name the Cloud Elements API; give one")
        }
        if let flag { return try ServiceURL.validate(flag, what: "--base-url", sentByCEAuth: true) }
        if let environmentName {
            guard let known = CloudElementsEnvironment(rawValue: environmentName.lowercased()) else {
                throw .invalidValue(option: "--env", reason: "'\(environmentName)' is not one of \(CloudElementsEnvironment.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return known.baseURL
        }
        if let fromEnvironment = nonEmpty(environment[Variable.baseURL]) {
            return try ServiceURL.validate(fromEnvironment, what: Variable.baseURL, sentByCEAuth: true)
        }
        return CloudElementsEnvironment.us.baseURL
    }

    /// The keyfile: `--keyfile`, `CEAUTH_KEYFILE`, `$XDG_CONFIG_HOME/ceauth/keys.json` or `~/.config/ceauth/keys.json`.
    public static func keyfilePath(flag: String?, environment: [String: String]) throws(KeyfileError) -> String {
        if let flag { return flag }
        if let fromEnvironment = nonEmpty(environment[Variable.keyfile]) { return fromEnvironment }
        return try KeyfileDocument.defaultPath(environment: environment)
    }

    /// The Cloud Elements user and organization secrets, for commands that call it or print its
    /// header: all missing ones named at once, a control character named, never shown.
    public static func platformSecrets(environment: [String: String]) throws(ConfigurationError) -> CloudElementsCredentials {
        let names = [Variable.userSecret, Variable.orgSecret]
        let missing = names.filter { nonEmpty(environment[$0]) == nil }
        guard missing.isEmpty else { throw .missingEnvironment(missing) }
        for name in names {
            if let character = ConfigurationError.controlCharacter(in: environment[name]!) {
                throw .controlCharacterInVariable(name, character: character)
            }
        }
        return CloudElementsCredentials(userSecret: Secret(environment[Variable.userSecret]!),
                                        organizationSecret: Secret(environment[Variable.orgSecret]!))
    }

    public static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
