; Inno Setup script: a per-user Windows installer around the PyInstaller bundle dist\monitor.
;   iscc /DMyAppVersion=0.1.0 packaging\windows\monitor.iss
; The Start-menu shortcut carries the AppUserModelID the app sets at start-up
; (io.monitor.Monitor), so toast notifications show "Monitor", not "monitor.exe".
#ifndef MyAppVersion
  #define MyAppVersion "0.1.0"
#endif
[Setup]
AppId={{5B7E3C1A-4D2F-4B8E-9C61-2E0A7F3D9B11}
AppName=Monitor
AppVersion={#MyAppVersion}
AppPublisher=Monitor developers
DefaultDirName={autopf}\Monitor
DefaultGroupName=Monitor
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=Monitor-{#MyAppVersion}-setup
Compression=lzma2
SolidCompression=yes
SetupIconFile=..\..\resources\icons\monitor.ico
UninstallDisplayIcon={app}\monitor.exe
WizardStyle=modern

[Files]
Source: "..\..\dist\monitor\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Monitor"; Filename: "{app}\monitor.exe"; AppUserModelID: "io.monitor.Monitor"
Name: "{userdesktop}\Monitor"; Filename: "{app}\monitor.exe"; AppUserModelID: "io.monitor.Monitor"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\monitor.exe"; Description: "Launch Monitor"; Flags: nowait postinstall skipifsilent
