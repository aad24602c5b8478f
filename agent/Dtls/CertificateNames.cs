using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Usp.Agent.Dtls;

/// <summary>
/// The names a certificate carries in its subjectAltName: the USP EndpointID URI (<c>urn:bbf:usp:id:&lt;EndpointID&gt;</c>,
/// TR-369 "Certificate-based identity"), DNS names and IP addresses.
/// </summary>
internal sealed record CertificateNames(IReadOnlyList<string> Uris, IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> IpAddresses)
{
    public const string EndpointIdUrnPrefix = "urn:bbf:usp:id:";
    private const string SubjectAltNameOid = "2.5.29.17";

    public static readonly CertificateNames None = new([], [], []);

    /// <summary>The EndpointID of the first <c>urn:bbf:usp:id:</c> URI, or null when there is none.</summary>
    public string? EndpointId =>
        Uris.FirstOrDefault(u => u.StartsWith(EndpointIdUrnPrefix, StringComparison.OrdinalIgnoreCase) && u.Length > EndpointIdUrnPrefix.Length)
            ?[EndpointIdUrnPrefix.Length..];

    /// <summary>Reads the subjectAltName extension; a certificate without one (or with a malformed one) has no names.</summary>
    public static CertificateNames Of(X509Certificate2 certificate)
    {
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAltNameOid)
            {
                return Parse(extension.RawData);
            }
        }

        return None;
    }

    /// <summary>GeneralNames (RFC 5280 §4.2.1.6): the uniformResourceIdentifier [6], dNSName [2] and iPAddress [7] entries.</summary>
    internal static CertificateNames Parse(ReadOnlyMemory<byte> der)
    {
        var uris = new List<string>();
        var dns = new List<string>();
        var ips = new List<IPAddress>();
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            AsnReader names = reader.ReadSequence();
            while (names.HasData)
            {
                Asn1Tag tag = names.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    names.ReadEncodedValue();
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 2:
                        dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 2)));
                        break;
                    case 6:
                        uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
                        break;
                    case 7:
                        byte[] address = names.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 7));
                        if (address.Length is 4 or 16)
                        {
                            ips.Add(new IPAddress(address));
                        }

                        break;
                    default:
                        names.ReadEncodedValue();
                        break;
                }
            }
        }
        catch (AsnContentException)
        {
            return None;
        }

        return new CertificateNames(uris, dns, ips);
    }
}
