/// What the redirect delivered once its state checked out.
public enum CallbackResult: Sendable, Equatable {
    case code(String)
    case failure(AuthorizationError)
}

/// What the listener does with one request.
public enum CallbackDecision: Sendable, Equatable {
    /// Answer with this status and short reason, and keep waiting.
    case reject(status: Int, reason: String)
    /// The genuine redirect: stop waiting and hand this on.
    case finish(CallbackResult)
}

/// Decides, for each request the loopback listener receives, whether it is the genuine redirect.
/// Pure: tested with request heads, no sockets.
public struct CallbackValidator: Sendable {
    public var expectedPath: String
    public var verifier: StateVerifier
    /// The issuer a genuine response names in `iss` when it carries one (RFC 9207).
    public var issuer: String?

    /// The scopes the element needs; a redirect whose `scope` lacks one is a partial grant.
    public var requiredScopes: [String] = []
    /// The element, for the partial grant's message.
    public var element = ""

    public init(expectedPath: String, verifier: StateVerifier, issuer: String?, requiredScopes: [String] = [], element: String = "") {
        self.expectedPath = expectedPath
        self.verifier = verifier
        self.issuer = issuer
        self.requiredScopes = requiredScopes
        self.element = element
    }

    static let wrongState = "the state does not match this sign-in"

    public func decide(_ head: HTTPRequestHead) -> CallbackDecision {
        guard head.method == "GET" else {
            return .reject(status: 405, reason: "only GET is accepted here")
        }
        guard head.path == expectedPath else {
            return .reject(status: 404, reason: "nothing here; ceauth waits for the OAuth redirect only")
        }
        let values: [String: String]
        switch RedirectQuery.values(head.query) {
        case .failure(.unreadable): return .reject(status: 400, reason: "the redirect has no readable query string")
        case .failure(.repeated(let name)): return .reject(status: 400, reason: "the parameter \(name) appears more than once")
        case .success(let read): values = read
        }
        guard let state = values["state"], !state.isEmpty else {
            return .reject(status: 400, reason: "the redirect carries no state")
        }
        guard verifier.matches(state) else {
            return .reject(status: 400, reason: Self.wrongState)
        }
        guard let outcome = RedirectQuery.outcome(values, issuer: issuer, required: requiredScopes, element: element) else {
            return .reject(status: 400, reason: "the redirect carries neither a code nor an error")
        }
        return .finish(outcome)
    }
}
