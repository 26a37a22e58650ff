#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CEAuthCore

/// The sandbox's credentials: published (they open nothing real), and distinctive enough that
/// a leak is found by a plain search of the output.
public enum SandboxSecrets {
    public static let user = "USERSECRET-5f1c9e7a"
    public static let org = "ORGSECRET-b2d48c31"
    public static let clientID = "1234-fakeclient.apps.googleusercontent.com"
    public static let clientSecret = "CLIENTSECRET-9a7e3d10"
    public static let all = [user, org, clientSecret]

    /// True when the Cloud Elements secrets in `environment` are these published ones (a shell
    /// that sourced `ceauth sandbox`'s exports): a request with them gives nothing real away.
    public static func inUse(_ environment: [String: String]) -> Bool {
        environment[Settings.Variable.userSecret] == user && environment[Settings.Variable.orgSecret] == org
    }

    public static var environment: [String: String] {
        [
            Settings.Variable.userSecret: user, Settings.Variable.orgSecret: org,
            Settings.Variable.clientID: clientID, Settings.Variable.clientSecret: clientSecret,
        ]
    }
}

/// Emulated Google and Cloud Elements together on loopback: `ceauth sandbox` serves them until
/// Ctrl-C, `--sandbox` runs them inside one command. State is in memory.
public final class Sandbox: @unchecked Sendable {
    public let google: EmulatedGoogle
    public let cloudElements: EmulatedCloudElements

    /// The path before `/elements/api-v2` that marks a keyfile entry as a sandbox instance.
    public static let pathPrefix = "/sandbox"

    /// `port` pins Google's emulator there and Cloud Elements' on the next one; 0 takes free ports.
    public init(host: String = "127.0.0.1", port: UInt16 = 0, consent: EmulatedGoogle.Behaviour = .ask) throws {
        google = try EmulatedGoogle(consent, host: host, port: port)
        do {
            cloudElements = try EmulatedCloudElements(google: google, host: host, port: port == 0 ? 0 : port &+ 1,
                                                      pathPrefix: Self.pathPrefix)
        } catch {
            google.stop()
            throw error
        }
        // Sandbox ids are far from the ids the tests' emulator and Cloud Elements hand out.
        cloudElements.nextID.with { $0 = Swift.max($0, 900_000_000) }
    }

    public func stop() {
        cloudElements.stop()
        google.stop()
    }

    /// What a shell exports to use the sandbox, in a stable order.
    public var environment: [(String, String)] {
        [
            (Settings.Variable.baseURL, cloudElements.baseURL),
            (Settings.Variable.authorizeURL, google.authorizeURL),
            (Settings.Variable.tokenURL, google.tokenURL),
            (Settings.Variable.revokeURL, google.revokeURL),
            (Settings.Variable.userSecret, SandboxSecrets.user),
            (Settings.Variable.orgSecret, SandboxSecrets.org),
            (Settings.Variable.clientID, SandboxSecrets.clientID),
            (Settings.Variable.clientSecret, SandboxSecrets.clientSecret),
        ]
    }

    /// `environment` over `base`.
    public func overriding(_ base: [String: String]) -> [String: String] {
        var merged = base
        for (name, value) in environment { merged[name] = value }
        return merged
    }

    /// Takes in the sandbox instances of the keyfile at `path` (one it cannot read: none), so that
    /// ids go on from them and a new instance never takes an old one's id.
    public func takeIn(keyfile path: String) {
        _ = adopt((try? KeyfileStore(path: path).instances()) ?? [])
    }

    /// The keyfile's sandbox instances as this run reaches them: taken into the emulator (same
    /// id, token, element, name) and pointed at it.
    public func adopt(_ entries: [KeyfileEntry]) -> [KeyfileEntry] {
        entries.filter(\.isSandbox).map { entry in
            cloudElements.adopt(id: entry.id, token: entry.token.value, element: entry.element, name: entry.name)
            var moved = entry
            moved.baseURL = cloudElements.baseURL
            return moved
        }
    }
}

/// The sandbox could not be started.
public enum SandboxError: Error, Equatable, CustomStringConvertible {
    /// Its ports could not be bound (in use, most often).
    case cannotServe(host: String, ports: String, reason: String)

    public var description: String {
        switch self {
        case .cannotServe(let host, let ports, let reason):
            return "cannot serve the sandbox on \(host), \(ports): \(reason); pick another --port"
        }
    }
}
