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
        public static let profile = "CEAUTH_PROFILE"
        public static let config = "CEAUTH_CONFIG"
        public static let secretCommandTimeout = "CEAUTH_SECRET_COMMAND_TIMEOUT"
        /// Seconds each call to the Secret Service may take.
        public static let keyringTimeout = "CEAUTH_KEYRING_TIMEOUT"
        /// `event.notification.signature.key`: Cloud Elements signs each event with it.
        public static let eventsSignatureKey = "CEAUTH_EVENTS_SIGNATURE_KEY"
        /// The variables that hold secrets: never handed to a child process, always redacted.
        public static let secrets = [userSecret, orgSecret, clientSecret, eventsSignatureKey]
    }

    /// The shortest secret ceauth accepts. A shorter value could not be kept out of output
    /// without blanking ordinary words, so it is refused up front (no real secret is this short).
    public static let minimumSecretLength = 8

    /// The variables of `names`, required: all missing ones named at once, a control character
    /// named, a secret too short to redact refused. Never shows a value.
    public static func requireVariables(_ names: [String], environment: [String: String]) throws(ConfigurationError) {
        let missing = names.filter { nonEmpty(environment[$0]) == nil }
        guard missing.isEmpty else { throw .missingEnvironment(missing) }
        for name in names { try checkSecret(name, environment[name]!) }
    }

    static func checkSecret(_ name: String, _ value: String) throws(ConfigurationError) {
        if let character = ConfigurationError.controlCharacter(in: value) {
            throw .controlCharacterInVariable(name, character: character)
        }
        if Variable.secrets.contains(name) && value.count < minimumSecretLength {
            throw .invalidValue(option: name, reason: "the value is \(value.count) characters long, shorter than any real secret (at least \(minimumSecretLength)), so ceauth could not keep it out of its output; check that the variable holds the whole secret")
        }
    }

    /// `CEAUTH_EVENTS_SIGNATURE_KEY`, when set.
    public static func eventsSignatureKey(environment: [String: String]) throws(ConfigurationError) -> Secret? {
        guard let value = nonEmpty(environment[Variable.eventsSignatureKey]) else { return nil }
        try checkSecret(Variable.eventsSignatureKey, value)
        return Secret(value)
    }

    /// The environment a child process (the browser, a secret command) gets: ceauth's own
    /// without the secrets, which a long-lived browser or another secret's command has no use for.
    public static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { !Variable.secrets.contains($0.key) }
    }

    /// `CEAUTH_SECRET_COMMAND_TIMEOUT`: seconds from 0.1 to 600 (default 10). Anything else,
    /// nan and infinities included, is refused naming the variable.
    public static func keyringTimeout(environment: [String: String]) throws(ConfigurationError) -> Double {
        guard let text = nonEmpty(environment[Variable.keyringTimeout]) else { return Defaults.keyringTimeout }
        return try boundedSeconds(text, name: Variable.keyringTimeout, range: Defaults.secretCommandTimeoutRange)
    }

    public static func secretCommandTimeout(environment: [String: String]) throws(ConfigurationError) -> Double {
        guard let text = nonEmpty(environment[Variable.secretCommandTimeout]) else { return Defaults.secretCommandTimeout }
        return try boundedSeconds(text, name: Variable.secretCommandTimeout, range: Defaults.secretCommandTimeoutRange)
    }

    /// A number of seconds from text, finite and within `range`. Pure.
    public static func boundedSeconds(_ text: String, name: String, range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let value = Double(text.trimmingWhitespace()), value.isFinite, range.contains(value) else {
            throw .invalidValue(option: name, reason: "give a number of seconds from \(plain(range.lowerBound)) to \(plain(range.upperBound)), not '\(text.prefix(40))'")
        }
        return value
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

    /// One of Google's endpoints: the variable's value when set (tests, the sandbox), else the
    /// default `value` (named `name` in an error), checked as every URL ceauth sends to.
    public static func endpoint(_ variable: String, default value: String, named name: String,
                                environment: [String: String]) throws(ConfigurationError) -> URL {
        let set = nonEmpty(environment[variable])
        return try ServiceURL.validate(set ?? value, what: set == nil ? name : variable)
    }

    /// ceauth's folder for the keyfile and the config file: `$XDG_CONFIG_HOME/ceauth` (an
    /// absolute one), else `~/.config/ceauth`.
    public static func configFolder(environment: [String: String]) throws(KeyfileError) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/ceauth" }
        guard let home = nonEmpty(environment["HOME"]) else { throw .noLocation }
        return home + "/.config/ceauth"
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
        try requireVariables([Variable.userSecret, Variable.orgSecret], environment: environment)
        return CloudElementsCredentials(userSecret: Secret(environment[Variable.userSecret]!),
                                        organizationSecret: Secret(environment[Variable.orgSecret]!))
    }

    /// 600 rather than 600.0; 0.1 as it is.
    static func plain(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    public static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
