import CEAuthCore
import CEAuthSandbox

/// The exit codes scripts can rely on (documented in README.md).
enum ExitStatus {
    static let success: Int32 = 0
    static let unexpected: Int32 = 1
    /// Bad options, environment, template or redirect URI (same as ArgumentParser's usage errors).
    static let usage: Int32 = 64
    /// Consent denied, timed out, or the redirect was refused.
    static let authorization: Int32 = 3
    /// Cloud Elements answered with an error.
    static let cloudElements: Int32 = 4
    /// Cloud Elements could not be reached: nothing was sent, no instance was created.
    static let network: Int32 = 5
    /// The request was sent but no answer came (timed out, connection dropped): the instance may exist.
    static let noAnswer: Int32 = 7
    /// An answer that cannot be used: not HTTP at all, a 2xx that is not an instance (not JSON, no id or token),
    /// or any body over the cap. The request was sent, so the instance may exist.
    static let badAnswer: Int32 = 8
    /// The keyfile could not be read or written.
    static let keyfile: Int32 = 6
    /// No instance in the keyfile answers to the name or id given, or several do.
    static let noSuchInstance: Int32 = 9
    /// verify: the instance exists but does not work (invalid, disabled, token refused); re-authorize it.
    static let broken: Int32 = 10
    /// verify: Cloud Elements no longer has the instance.
    static let gone: Int32 = 11
    /// The Secret Service was asked for and cannot serve: no session bus, no service, a locked
    /// collection, no answer in time, no libsecret. Nothing was written elsewhere instead.
    static let keyring: Int32 = 12
    /// Interrupted with Ctrl-C (128 + SIGINT).
    static let interrupted: Int32 = 130

    /// One checked instance: 0 it works, 11 gone, 10 otherwise.
    static func of(_ result: Verification) -> Int32 {
        result.verdict == .works ? success : result.verdict == .gone ? gone : broken
    }

    static func code(for error: Error) -> Int32 {
        switch error {
        case AuthorizationError.interrupted: return interrupted
        case is AuthorizationError: return authorization
        case TokenExchangeError.unreachable: return network
        case is TokenExchangeError: return authorization
        case is ConfigurationError, is TemplateError, is ListenerError, is InstanceUseError, is ConsoleError, is SandboxError: return usage
        case CloudElementsError.network(.notHTTP, _): return badAnswer
        case CloudElementsError.network(let error, _): return error.mayHaveArrived ? noAnswer : network
        case CloudElementsError.unexpectedResponse: return badAnswer
        case is CloudElementsError: return cloudElements
        case is KeyfileError, is InstanceNotSaved, is ConfigFileError: return keyfile
        case is InstanceLookupError: return noSuchInstance
        case is SecretServiceError: return keyring
        case AdoptionError.gone, is LiveError: return gone
        case AdoptionError.nameTaken: return usage
        case is AdoptionError: return badAnswer
        default: return unexpected
        }
    }
}
