using Usp.DataModel.Areas;

namespace Usp.DataModel;

/// <summary>What the MTPs and the DTLS transport read of <c>Device.LocalAgent.</c>, each a snapshot taken under the engine lock.</summary>
public sealed partial class UspEngine
{
    /// <summary>The enabled MTPs of a Controller, for sending it responses and notifications.</summary>
    public IReadOnlyList<ControllerMtp> GetControllerMtps(string controllerEndpointId)
    {
        lock (_gate)
        {
            var row = FindControllerRow(controllerEndpointId);
            if (row is null)
                return [];
            return row.Table("MTP")!.Rows
                .Where(m => m.GetValue("Enable") == "true")
                .Select(m =>
                {
                    var coap = m.Child("CoAP")!;
                    return new ControllerMtp(m.Path, m.GetValue("Protocol") ?? "", coap.GetValue("Host") ?? "",
                        int.Parse(coap.GetValue("Port") ?? "5683", System.Globalization.CultureInfo.InvariantCulture),
                        coap.GetValue("Path") ?? "", coap.GetValue("EnableEncryption") == "true");
                })
                .ToList();
        }
    }

    /// <summary>
    /// The enabled <c>Device.LocalAgent.Certificate.{i}.</c> entries (AddCertificate()) with their DER, for the MTP's
    /// trust store: (instance path, DER).
    /// </summary>
    public IReadOnlyList<(string Path, byte[] Der)> GetTrustedCertificates()
    {
        lock (_gate)
        {
            var list = new List<(string Path, byte[] Der)>();
            foreach (var row in _store.Tree.Find(LocalAgentArea.Path)!.Table("Certificate")!.Rows)
            {
                if (row.GetValue("Enable") == "true" && row.GetValue(Operations.CertificateCommands.DerParam) is { Length: > 0 } der)
                {
                    try
                    {
                        list.Add((row.Path, Convert.FromBase64String(der)));
                    }
                    catch (FormatException)
                    {
                        // Not written by AddCertificate(); nothing to trust.
                    }
                }
            }

            return list;
        }
    }

    /// <summary>
    /// The Roles of the enabled <c>ControllerTrust.Credential.{i}</c> entries whose Credential is the certificate at
    /// <paramref name="certificatePath"/> (a Controller validated by it inherits them); empty when none.
    /// </summary>
    public IReadOnlyList<string> GetCredentialRoles(string certificatePath)
    {
        string wanted = certificatePath.TrimEnd('.');
        lock (_gate)
        {
            var roles = new List<string>();
            foreach (var row in _store.Tree.Find(LocalAgentArea.Path + "ControllerTrust.")!.Table("Credential")!.Rows)
            {
                if (row.GetValue("Enable") == "true" && (row.GetValue("Credential") ?? "").TrimEnd('.') == wanted)
                {
                    roles.AddRange(Security.ControllerTrustModel.SplitList(row.GetValue("Role")).Select(r => r.TrimEnd('.')).Where(r => !roles.Contains(r)));
                }
            }

            return roles;
        }
    }

    /// <summary>The agent's own enabled CoAP MTPs (Device.LocalAgent.MTP.{i}.), for the MTP layer to serve.</summary>
    public IReadOnlyList<AgentMtp> GetAgentMtps()
    {
        lock (_gate)
        {
            return _store.Tree.Find(LocalAgentArea.Path)!.Table("MTP")!.Rows
                .Where(m => m.GetValue("Enable") == "true")
                .Select(m =>
                {
                    var coap = m.Child("CoAP")!;
                    return new AgentMtp(m.Path, m.GetValue("Protocol") ?? "",
                        int.Parse(coap.GetValue("Port") ?? "5683", System.Globalization.CultureInfo.InvariantCulture),
                        coap.GetValue("Path") ?? "", coap.GetValue("EnableEncryption") == "true");
                })
                .ToList();
        }
    }

    /// <summary>The paths of the agent's MTP rows that are not enabled (their Status is Down, whatever served them before).</summary>
    public IReadOnlyList<string> GetDisabledAgentMtpPaths()
    {
        lock (_gate)
        {
            return _store.Tree.Find(LocalAgentArea.Path)!.Table("MTP")!.Rows
                .Where(m => m.GetValue("Enable") != "true")
                .Select(m => m.Path)
                .ToList();
        }
    }
}
