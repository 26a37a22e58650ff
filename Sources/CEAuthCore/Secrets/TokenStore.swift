/// Where an instance's token is kept. `keyfile` (the default) is the contract scripts read;
/// `secret-service` keeps it in the desktop keyring, the entry saying so instead of holding it.
/// A new store (a macOS Keychain) is one more case here and one more type like `SecretService`.
public enum TokenStore: String, Sendable, CaseIterable {
    case keyfile
    case secretService = "secret-service"

    public static func parse(_ text: String, option: String) throws(ConfigurationError) -> TokenStore {
        guard let store = TokenStore(rawValue: text) else {
            throw .invalidValue(option: option, reason: "'\(text)' is not a token store; use keyfile or secret-service")
        }
        return store
    }

    /// `entry` with its token read from where it is kept (the keyring for a `secret-service` entry).
    public static func resolve(_ entry: KeyfileEntry, keyring: () throws -> SecretService) throws -> KeyfileEntry {
        guard entry.tokenInSecretService else { return entry }
        var resolved = entry
        guard let token = try keyring().lookup(.token(of: entry)) else {
            throw SecretServiceError.missingToken(summary: entry.summary, name: entry.name)
        }
        resolved.token = Secret(token)
        return resolved
    }

    /// Removes the entry, then its token from the keyring when it is kept there. After the entry:
    /// a crash between the two leaves an item no entry points at, never an entry without its
    /// token. False when the keyfile no longer had the entry.
    public static func forget(_ entry: KeyfileEntry, keyfile: KeyfileStore, keyring: SecretService?) throws -> Bool {
        let removed = try keyfile.remove(id: entry.id, baseURL: entry.baseURL)
        if entry.tokenInSecretService { try keyring?.clear(.token(of: entry)) }
        return removed
    }

    /// Each entry with its token, the keyring asked only for those kept there (and reached once).
    /// An entry whose token cannot be read keeps an empty one: the command reports it as damaged.
    public static func resolveAll(_ entries: [KeyfileEntry], environment: [String: String]) throws -> [KeyfileEntry] {
        guard entries.contains(where: \.tokenInSecretService) else { return entries }
        let keyring = try SecretService.reached(environment: environment)
        return try entries.map { entry in
            guard entry.tokenInSecretService else { return entry }
            var resolved = entry
            resolved.token = Secret(try keyring.lookup(.token(of: entry)) ?? "")
            return resolved
        }
    }

    /// Saves `entry` with its token in `store`. For the keyring the token is written and read
    /// back first, then the entry that points at it is saved: a failure at any point leaves the
    /// token reachable (a keyring item without an entry is found again by the next save). A
    /// token kept in the keyring before and now in the keyfile is removed from the keyring last.
    @discardableResult
    public static func save(_ entry: KeyfileEntry, in store: TokenStore, keyfile: KeyfileStore, keyring: SecretService?) throws -> KeyfileStore.SaveReport {
        var saved = entry
        switch store {
        case .keyfile:
            saved.tokenStore = nil
            let report = try keyfile.save(saved)
            if entry.tokenInSecretService, let keyring { try keyring.clear(.token(of: entry)) }
            return report
        case .secretService:
            guard let keyring else { throw SecretServiceError.failed("no Secret Service was set up for this save") }
            try keyring.store(.token(of: entry), secret: entry.token.value)
            saved.tokenStore = TokenStore.secretService.rawValue
            return try keyfile.save(saved)
        }
    }
}

/// The secrets `ceauth secrets set` keeps in the keyring, per profile.
public enum SecretKey: String, Sendable, CaseIterable {
    case userSecret = "user-secret"
    case orgSecret = "org-secret"
    case clientSecret = "client-secret"

    /// The variable it stands in for (the environment wins over the keyring).
    public var variable: String {
        switch self {
        case .userSecret: return Settings.Variable.userSecret
        case .orgSecret: return Settings.Variable.orgSecret
        case .clientSecret: return Settings.Variable.clientSecret
        }
    }

    public static func parse(_ text: String) throws(ConfigurationError) -> SecretKey {
        guard let key = SecretKey(rawValue: text) else {
            throw .invalidValue(option: "KEY", reason: "'\(text)' is not a secret ceauth keeps; use user-secret, org-secret or client-secret")
        }
        return key
    }

    /// Which secrets the keyring holds for each profile of the config file (and `default`, and
    /// CEAUTH_PROFILE's): `ceauth secrets list`. Values are read to learn whether they are set, never kept.
    public static func stored(in keyring: SecretService, environment: [String: String]) throws -> [(profile: String, key: String, set: Bool)] {
        let path = try? ConfigFile.path(environment: environment)
        let config = ConfigFile(text: (try path.flatMap { try ConfigFileReader.read($0) }) ?? "")
        var profiles = ["default"] + config.profiles.filter { $0 != "default" }
        if let chosen = Settings.nonEmpty(environment[Settings.Variable.profile]), !profiles.contains(chosen) { profiles.append(chosen) }
        return try profiles.flatMap { profile in
            try allCases.map { key in (profile, key.rawValue, try keyring.lookup(.setting(key.rawValue, profile: profile)) != nil) }
        }
    }
}
