"""The configuration of a private system-type dbus-daemon: Debian's
system.conf default policy (deny, with the usual holes), listening on one
socket, including one policy directory. Stdlib only: scripts/hostrun.py uses
it as well as the tests."""

TEMPLATE = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  <includedir>{policy_dir}</includedir>
</busconfig>
"""

# The shipped policy lets only the ptrwatchd user own the name; where root
# runs the daemon on a private bus, this one grant is added beside it.
ROOT_OWNS = """<busconfig>
  <policy user="root"><allow own="org.ptrwatch.PtrWatch1"/></policy>
</busconfig>
"""


def system_bus_config(socket, policy_dir):
    return TEMPLATE.format(socket=socket, policy_dir=policy_dir)
