import CSecret

/// What went wrong reaching the Secret Service. Each says which, and what to do; none holds a secret.
public enum SecretServiceError: Error, Equatable, CustomStringConvertible {
    /// No session bus to reach it on (DBUS_SESSION_BUS_ADDRESS is not set).
    case noBus
    case notInstalled(String)
    case noService(String)
    case timeout(seconds: Double)
    case locked
    case noCollection
    case failed(String)
    /// The entry says its token is in the keyring; the keyring has no such item.
    case missingToken(summary: String, name: String)

    public var description: String {
        // Never a silent fallback: the user chooses the keyfile, ceauth does not.
        let fix = ". Nothing was written anywhere else instead (to keep a token in the keyfile, pass --token-store keyfile)"
        switch self {
        case .noBus:
            return "the Secret Service was asked for, but there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): run ceauth in your desktop session, or start one with dbus-run-session" + fix
        case .notInstalled(let reason):
            return "the Secret Service was asked for, but \(reason)" + fix
        case .noService(let reason):
            return "nothing serves the Secret Service on this session bus (\(SafeText.shorten(reason, to: 300))): start GNOME Keyring, KeePassXC or KWallet with its Secret Service on" + fix
        case .timeout(let seconds):
            return "the Secret Service did not answer within \(Settings.plain(seconds)) seconds (\(Settings.Variable.keyringTimeout)); is its prompt waiting on another screen? Try again" + fix
        case .locked:
            return "the keyring's default collection is locked: unlock it (Seahorse, or log in to the desktop) and try again" + fix
        case .noCollection:
            return "the Secret Service has no default collection: create one (Seahorse: File > New > Password Keyring, then set it as default)" + fix
        case .failed(let reason):
            return "the Secret Service refused: \(SafeText.shorten(reason, to: 300))" + fix
        case .missingToken(let summary, let name):
            return "the token of \(summary) is kept in the Secret Service, but the keyring has no such item (was it removed in Seahorse?); get a new one with ceauth login --update \(name)"
        }
    }
}

/// One item of the keyring: found by its schema and attributes (never by its label).
public struct SecretItem: Sendable, Equatable {
    public let schema: String
    public let attributes: [(name: String, value: String)]
    public let label: String

    public static func == (lhs: SecretItem, rhs: SecretItem) -> Bool {
        lhs.schema == rhs.schema && lhs.attributes.map(\.name) == rhs.attributes.map(\.name) && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }

    /// An instance's token: ceauth's, for this Cloud Elements host and instance id.
    public static func token(of entry: KeyfileEntry) -> SecretItem {
        SecretItem(schema: "org.ceauth.InstanceToken",
                   attributes: [("application", "ceauth"), ("kind", "instance-token"), ("host", entry.host), ("id", String(entry.id))],
                   label: "ceauth: token of the Cloud Elements instance '\(entry.name)' (id \(entry.id), \(entry.host))")
    }

    /// A Cloud Elements or Google secret of a profile (`user-secret`, `org-secret`, `client-secret`).
    public static func setting(_ key: String, profile: String) -> SecretItem {
        SecretItem(schema: "org.ceauth.Secret", attributes: [("application", "ceauth"), ("kind", key), ("profile", profile)],
                   label: "ceauth: \(key) of profile \(profile)")
    }
}

/// The freedesktop Secret Service (GNOME Keyring, KeePassXC, KWallet) through libsecret, loaded
/// on first use. Every call is bounded by `timeoutSeconds`.
public struct SecretService: Sendable {
    public let timeoutSeconds: Double
    private let hasBus: Bool

    public init(environment: [String: String]) throws(ConfigurationError) {
        timeoutSeconds = try Settings.keyringTimeout(environment: environment)
        // libsecret reads the process's own variable; the one given is checked so that a
        // missing bus is named, not met as a D-Bus autolaunch attempt.
        hasBus = Settings.nonEmpty(environment["DBUS_SESSION_BUS_ADDRESS"]) != nil
    }

    /// The keyring, checked: there and unlocked (before anything is spent on it).
    public static func reached(environment: [String: String]) throws -> SecretService {
        let keyring = try SecretService(environment: environment)
        try keyring.check()
        return keyring
    }

    private var milliseconds: Int32 { Int32(min(timeoutSeconds * 1000, 600_000).rounded()) }

    /// The default collection is there and unlocked: run before anything is spent.
    public func check() throws(SecretServiceError) {
        guard hasBus else { throw .noBus }
        var message: UnsafeMutablePointer<CChar>?
        try result(ceauth_secret_check(milliseconds, &message), message)
    }

    /// Stores `secret` under `item`, then reads it back: the store is done only when the
    /// keyring gives back the same value.
    public func store(_ item: SecretItem, secret: String) throws(SecretServiceError) {
        try check()
        var message: UnsafeMutablePointer<CChar>?
        let code = withAttributes(item) { names, values, count in
            ceauth_secret_store(item.schema, names, values, count, item.label, secret, milliseconds, &message)
        }
        try result(code, message)
        guard try lookup(item, checked: true) == secret else { throw .failed("the value read back is not the one stored") }
    }

    /// The value, or nil when the keyring has no such item.
    public func lookup(_ item: SecretItem) throws(SecretServiceError) -> String? {
        try lookup(item, checked: false)
    }

    private func lookup(_ item: SecretItem, checked: Bool) throws(SecretServiceError) -> String? {
        if !checked { try check() }
        var message: UnsafeMutablePointer<CChar>?
        var value: UnsafeMutablePointer<CChar>?
        let code = withAttributes(item) { names, values, count in
            ceauth_secret_lookup(item.schema, names, values, count, &value, milliseconds, &message)
        }
        if code == Int32(CEAUTH_SECRET_NOT_FOUND) { ceauth_secret_free_message(message); return nil }
        try result(code, message)
        defer { ceauth_secret_free_value(value) }
        return value.map { String(cString: $0) }
    }

    /// Removes the item (nothing to do when there is none).
    public func clear(_ item: SecretItem) throws(SecretServiceError) {
        try check()
        var message: UnsafeMutablePointer<CChar>?
        let code = withAttributes(item) { names, values, count in
            ceauth_secret_clear(item.schema, names, values, count, milliseconds, &message)
        }
        try result(code, message)
    }

    /// The attributes as C strings: one buffer of NUL-terminated texts, names then values.
    private func withAttributes(_ item: SecretItem, _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>, Int32) -> Int32) -> Int32 {
        var text: [CChar] = [], starts: [Int] = []
        for part in item.attributes.map(\.name) + item.attributes.map(\.value) {
            starts.append(text.count)
            text += part.utf8.map { CChar(bitPattern: $0) } + [0]
        }
        let count = item.attributes.count
        return text.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = starts.map { buffer.baseAddress! + $0 }
            return pointers.withUnsafeBufferPointer { all in body(all.baseAddress!, all.baseAddress! + count, Int32(count)) }
        }
    }

    private func result(_ code: Int32, _ message: UnsafeMutablePointer<CChar>?) throws(SecretServiceError) {
        guard code != Int32(CEAUTH_SECRET_OK) else { return }
        let text = message.map { String(cString: $0) } ?? ""
        ceauth_secret_free_message(message)
        switch code {
        case Int32(CEAUTH_SECRET_NOT_LOADED): throw .notInstalled(text)
        case Int32(CEAUTH_SECRET_NO_SERVICE): throw .noService(text)
        case Int32(CEAUTH_SECRET_TIMEOUT): throw .timeout(seconds: timeoutSeconds)
        case Int32(CEAUTH_SECRET_LOCKED): throw .locked
        case Int32(CEAUTH_SECRET_NO_COLLECTION): throw .noCollection
        default: throw .failed(text)
        }
    }
}
