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
    /// `hub` is the template's; nil for an element ceauth has no template of, whose hub comes
    /// from Cloud Elements' answer.
    public static func verify(_ instance: KeyfileEntry, hub: String?, credentials: CloudElementsCredentials,
                              transport: any HTTPTransport, timeoutSeconds: Double) throws -> Verification {
        let client = try client(for: instance, credentials: credentials, transport: transport, timeoutSeconds: timeoutSeconds)
        return try check(instance, answer: try client.instance(id: instance.id), hub: hub, client: client)
    }

    /// A client at the instance's own host.
    public static func client(for instance: KeyfileEntry, credentials: CloudElementsCredentials, transport: any HTTPTransport,
                              timeoutSeconds: Double) throws -> CloudElementsClient {
        CloudElementsClient(baseURL: try instance.validatedBaseURL(), credentials: credentials, transport: transport, timeoutSeconds: timeoutSeconds)
    }

    /// The verdict on what `GET /instances/{id}` answered (nil: no such instance); pings when it is enabled.
    public static func check(_ instance: KeyfileEntry, answer: JSONValue?, hub: String?, client: CloudElementsClient) throws -> Verification {
        let state = CloudElementsClient.state(of: answer)
        let relogin = "re-authorize it: ceauth login \(instance.element), then use the new instance"
        switch state {
        case .gone:
            return Verification(instance: instance, state: state, pingAnswered: nil, verdict: .gone,
                                advice: "Cloud Elements no longer has \(instance.summary) (deleted in the console?); remove it from the keyfile")
        case .disabled:
            return Verification(instance: instance, state: state, pingAnswered: nil, verdict: .broken,
                                advice: "\(instance.summary) is disabled at Cloud Elements; run ceauth enable id:\(instance.id)")
        case .invalid:
            return Verification(instance: instance, state: state, pingAnswered: nil, verdict: .broken,
                                advice: "Cloud Elements marks \(instance.summary) invalid: Google no longer accepts its grant (revoked, or a refresh token of an app in Testing status, which lasts 7 days); \(relogin)")
        case .enabled:
            guard let hub = hub ?? answer.flatMap({ LiveInstance.element(of: $0).hub }) else {
                return Verification(instance: instance, state: state, pingAnswered: nil, verdict: .broken,
                                    advice: "\(instance.summary) is enabled, but neither ceauth nor Cloud Elements names the hub of element \(instance.element), so it was not pinged")
            }
            let answered = try client.ping(hub: hub, token: instance.token)
            return Verification(instance: instance, state: state, pingAnswered: answered, verdict: answered ? .works : .broken,
                                advice: answered ? "\(instance.summary) works"
                                    : "Cloud Elements refuses the token of \(instance.summary) at /hubs/\(hub)/ping; \(relogin)")
        }
    }
}

/// `ceauth status` of one instance: the verdict, its events and tags, from the same two
/// requests as `verify`; or why it could not be checked.
public struct InstanceStatus: Sendable {
    public var instance: KeyfileEntry
    public var verification: Verification?
    public var events: InstanceEvents?
    public var tags: [String]?
    /// Set when it could not be checked (already passed the output filter).
    public var error: String?

    public init(instance: KeyfileEntry, verification: Verification? = nil, events: InstanceEvents? = nil, tags: [String]? = nil, error: String? = nil) {
        self.instance = instance
        self.verification = verification
        self.events = events
        self.tags = tags
        self.error = error
    }

    public static func check(_ instance: KeyfileEntry, hub: String?, credentials: CloudElementsCredentials,
                             transport: any HTTPTransport, timeoutSeconds: Double) throws -> InstanceStatus {
        let client = try InstanceVerifier.client(for: instance, credentials: credentials, transport: transport, timeoutSeconds: timeoutSeconds)
        let answer = try client.instance(id: instance.id)
        let verification = try InstanceVerifier.check(instance, answer: answer, hub: hub, client: client)
        return InstanceStatus(instance: instance, verification: verification,
                              events: answer.map { InstanceEvents(configuration: LiveInstance.configuration(of: $0)) },
                              tags: answer.map(LiveInstance.tags))
    }

    /// Whether it was checked and works (anything else makes `status` exit 10, as `verify --all`).
    public var works: Bool { verification?.verdict == .works }
}
