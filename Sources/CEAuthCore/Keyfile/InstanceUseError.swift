/// An instance of the keyfile that this command may not use this way: a sandbox instance
/// without --sandbox (its old loopback port may be anyone's now), a real one with it, or one
/// `login --update` cannot re-authorize. Exit 64, like a usage error: nothing was sent.
public enum InstanceUseError: Error, Equatable, CustomStringConvertible {
    case sandboxInstance(String)
    case realInstance(String)
    /// --update of a sandbox instance: nothing goes to its old port, no consent is asked.
    case updateOfSandboxInstance(String, element: String)
    case updateOfOtherElement(String, element: String, query: String)
    case renameOnUpdate(name: String)
    case updateAtOtherHost(String, own: String, chosen: String)

    public var description: String {
        switch self {
        case .sandboxInstance(let summary):
            return "\(summary) is a sandbox instance: without --sandbox nothing is sent to its loopback address, which another local user may hold now that its run has ended; add --sandbox"
        case .realInstance(let summary):
            return "\(summary) is a real instance, not a sandbox one; run without --sandbox to use it"
        case .updateOfSandboxInstance(let summary, let element):
            return "\(summary) is a sandbox instance, and --update re-authorizes real instances only (nothing is sent to a sandbox instance's old loopback port); make a new one with ceauth login \(element) --sandbox"
        case .updateOfOtherElement(let summary, let element, let query):
            return "\(summary) is a \(element) instance; run ceauth login \(element) --update \(query)"
        case .renameOnUpdate(let name):
            return "--name cannot rename an instance on --update; it keeps its name '\(name)'"
        case .updateAtOtherHost(let summary, let own, let chosen):
            return "\(summary) lives at \(own), not \(chosen); drop --base-url/--env/CEAUTH_BASE_URL to update it"
        }
    }
}
