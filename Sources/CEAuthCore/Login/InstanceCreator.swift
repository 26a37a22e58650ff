#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// From an authorization code to a saved instance: the body rendered from the template, one
/// `POST /instances`, and the keyfile entry. `login` runs it after its listener caught the code;
/// `create` with a code a script's own web app received.
public struct InstanceCreator {
    public var plan: LoginPlan
    public var transport: any HTTPTransport
    public var log: (String) -> Void

    public init(plan: LoginPlan, transport: any HTTPTransport, log: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.transport = transport
        self.log = log
    }

    /// The instance body for `code` and `redirectURI`, or for the tokens ceauth redeemed the code
    /// for (`--exchange local`); also for --dry-run. Re-authorizing, `current` is the instance
    /// as Cloud Elements has it: the body keeps all of it but the old grant (Reauthorization).
    public func body(code: String, redirectURI: String, tokens: GrantedTokens? = nil, current: JSONValue? = nil) throws(TemplateError) -> JSONValue {
        let fresh = try InstanceBodyRenderer.render(plan.template, values: InstanceValues(
            code: code, clientID: plan.clientID, clientSecret: plan.clientSecret, redirectURI: redirectURI,
            name: plan.name, tags: plan.tags, events: plan.events, tokens: tokens))
        guard let current else { return fresh }
        return Reauthorization.body(current: current, fresh: fresh, changeEvents: plan.events != nil, changeTags: !plan.tags.isEmpty)
    }

    public var client: CloudElementsClient {
        CloudElementsClient(baseURL: plan.baseURL, credentials: plan.credentials, transport: transport,
                            timeoutSeconds: plan.requestTimeoutSeconds)
    }

    /// Re-authorizing: the instance as Cloud Elements has it now, read before the browser opens
    /// (its body is the PUT's base, and a deleted instance costs no consent). Nil otherwise.
    public func currentInstance() throws(CloudElementsError) -> JSONValue? {
        guard let saved = plan.reauthorize else { return nil }
        guard let current = try client.instance(id: saved.id) else {
            throw .callRefused(call: "GET /instances/\(saved.id)", status: 404,
                               message: "Cloud Elements no longer has this instance, \(saved.summary); create a new one with ceauth login \(saved.element) (without --update)", requestID: nil)
        }
        return current
    }

    /// Sends the POST (or, re-authorizing, the PUT) once. Throws what Cloud Elements said
    /// (CloudElementsError) or the template's problem; nothing exists then, or it may (exit 7,
    /// 8: see the error).
    public func create(code: String, redirectURI: String, tokens: GrantedTokens? = nil, current: JSONValue? = nil) throws -> CreatedInstance {
        let body = try body(code: code, redirectURI: redirectURI, tokens: tokens, current: current)
        var (created, status) = try plan.reauthorize.map { saved throws(CloudElementsError) in
            try client.reauthorizeInstance(id: saved.id, body: body, expectedElement: plan.template.key, currentToken: saved.token)
        } ?? client.createInstance(body: body, expectedElement: plan.template.key)
        log("Cloud Elements answered HTTP \(status)")
        // The service normally echoes the name; if not, the one sent is the instance's name.
        if created.name.isEmpty { created.name = plan.name }
        return created
    }

    /// Saves a created instance; a failure is InstanceNotSaved, which carries the id and token.
    public func save(_ instance: CreatedInstance) throws(InstanceNotSaved) -> KeyfileStore.SaveReport {
        // A re-authorized instance keeps its entry's name and creation time; its token is new.
        var entry = KeyfileEntry(name: plan.reauthorize?.name ?? instance.name, id: instance.id, token: instance.token,
                                 element: instance.elementKey, baseURL: plan.baseURL.absoluteString,
                                 created: plan.reauthorize?.created ?? LoginPlan.timestamp(Date()))
        // Where the old token was: moved to the keyfile, its keyring item goes after the save.
        entry.tokenStore = plan.reauthorize?.tokenStore
        do {
            return try TokenStore.save(entry, in: plan.tokenStore, keyfile: KeyfileStore(path: plan.keyfilePath), keyring: plan.keyring)
        } catch {
            throw InstanceNotSaved(instance: instance, reason: error)
        }
    }

    /// The POST (or PUT) as --dry-run shows it: the code as a placeholder, secrets as references.
    public func dryRun(code: String, redirectURI: String, tokens: GrantedTokens? = nil, current: JSONValue? = nil) throws -> DryRun.Shown {
        var request = CloudElementsAPI.createInstanceRequest(baseURL: plan.baseURL, credentials: plan.credentials,
                                                             body: try body(code: code, redirectURI: redirectURI, tokens: tokens, current: current),
                                                             timeoutSeconds: plan.requestTimeoutSeconds)
        if let saved = plan.reauthorize {
            request.method = "PUT"
            request.url = URL(string: plan.baseURL.absoluteString + "/instances/\(saved.id)?reAuthenticate=true") ?? request.url
        }
        return DryRun.show(request, references: references)
    }

    /// Each secret of the plan and the variable that holds it, for --dry-run.
    public var references: [(value: String, variable: String)] {
        plan.credentials.references + [(plan.clientSecret.value, Settings.Variable.clientSecret)]
            + (plan.events?.signatureKey.map { [($0.value, Settings.Variable.eventsSignatureKey)] } ?? [])
    }
}
