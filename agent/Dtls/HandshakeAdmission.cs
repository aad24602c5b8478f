using System.Net;

namespace Usp.Agent.Dtls;

/// <summary>
/// The caps on DTLS handshakes in progress: at most <c>overall</c> at once, and at most <c>perAddress</c> of them
/// answering one source address (server side; the agent's own client handshakes count only overall).
/// </summary>
internal sealed class HandshakeAdmission(int overall, int perAddress)
{
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _gate = new();
    private int _inProgress;

    public int InProgress => Volatile.Read(ref _inProgress);

    public bool HasRoomFor(IPAddress address)
    {
        lock (_gate)
        {
            return _inProgress < overall && (!_perAddress.TryGetValue(address, out int n) || n < perAddress);
        }
    }

    /// <summary>Takes a slot for a handshake answering <paramref name="address"/>; false when a cap is reached.</summary>
    public bool TryReserveServer(IPAddress address)
    {
        lock (_gate)
        {
            _perAddress.TryGetValue(address, out int n);
            if (_inProgress >= overall || n >= perAddress)
            {
                return false;
            }

            _inProgress++;
            _perAddress[address] = n + 1;
            return true;
        }
    }

    /// <summary>Takes a slot for a handshake of the agent's own; false when the overall cap is reached.</summary>
    public bool TryReserveClient()
    {
        lock (_gate)
        {
            if (_inProgress >= overall)
            {
                return false;
            }

            _inProgress++;
            return true;
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryReserveServer"/> (with its address) or <see cref="TryReserveClient"/> (null).</summary>
    public void Release(IPAddress? serverAddress)
    {
        lock (_gate)
        {
            _inProgress--;
            if (serverAddress is null || !_perAddress.TryGetValue(serverAddress, out int n))
            {
                return;
            }

            if (n <= 1)
            {
                _perAddress.Remove(serverAddress);
            }
            else
            {
                _perAddress[serverAddress] = n - 1;
            }
        }
    }
}
