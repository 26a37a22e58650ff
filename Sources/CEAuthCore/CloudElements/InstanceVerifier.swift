/// Whether a saved instance still works, and what to do when it does not.
public struct Verification: Sendable, Equatable {
    public enum Verdict: String, Sendable, Equatable {
        case works
        /// It exists but cannot be used: marked invalid or disabled, or its token is refused.
        case broken
        /// Cloud Elements no longer has it.
        case gone
    }

    public var instance: KeyfileEntry
    public var state: InstanceState
    /// Whether `/hubs/{hub}/ping` answered for the instance's token; nil when not asked.
    public var pingAnswered: Bool?
    public var verdict: Verdict
    /// One sentence for the person: what was found and what to do.
    public var advice: String
}

/// `GET /instances/{id}`, then `GET /hubs/{hub}/ping` through the instance, at the instance's
/// own Cloud Elements host (never another one's, so a sandbox token never reaches a real host).
public enum InstanceVerifier {
    public static func verify(_ instance: KeyfileEntry, hub: String, credentials: CloudElementsCredentials,
                              transport: any HTTPTransport, timeoutSeconds: Double) throws -> Verification {
        let base = try instance.validatedBaseURL()
        let client = CloudElementsClient(baseURL: base, credentials: credentials, transport: transport, timeoutSeconds: timeoutSeconds)
        let state = try client.instanceState(id: instance.id)
        let relogin = "re-authorize it: ceauth login \(instance.element), then use the new instance"
        switch state {
        case .gone:
            return Verification(instance: instance, state: state, pingAnswered: nil, verdict: .gone,
                                advice: "Cloud Elements no longer has \(instance.summary) (deleted in the console?); remove it from the keyfile")
        case .disabled:
            return Verification(instance: instance, state: state, pingAnswered: nil, verdict: .broken,
                                advice: "\(instance.summary) is disabled at Cloud Elements; enable it in the console")
        case .invalid:
            return Verification(instance: instance, state: state, pingAnswered: nil, verdict: .broken,
                                advice: "Cloud Elements marks \(instance.summary) invalid: Google no longer accepts its grant (revoked, or a refresh token of an app in Testing status, which lasts 7 days); \(relogin)")
        case .enabled:
            let answered = try client.ping(hub: hub, token: instance.token)
            return Verification(instance: instance, state: state, pingAnswered: answered, verdict: answered ? .works : .broken,
                                advice: answered ? "\(instance.summary) works"
                                    : "Cloud Elements refuses the token of \(instance.summary) at /hubs/\(hub)/ping; \(relogin)")
        }
    }
}
