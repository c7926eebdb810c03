Attribute VB_Name = "OrderDeskMacros"
' OrderDesk buttons. Each runs the same Python function as the orderdesk command,
' against the open workbook (xlwings RunPython; errors come back as a message box).
Option Explicit

Public Sub ContractReview()
    RunPython "import addin.excel.actions as a; a.contract_review()"
End Sub

Public Sub RefreshRiskColours()
    RunPython "import addin.excel.actions as a; a.refresh_risk_colours()"
End Sub

Public Sub RefreshOtdPivot()
    RunPython "import addin.excel.actions as a; a.refresh_otd_pivot()"
End Sub

Public Sub RootCauseSummary()
    RunPython "import addin.excel.actions as a; a.root_cause_summary()"
End Sub

Public Sub PromiseDate()
    RunPython "import addin.excel.actions as a; a.promise_date()"
End Sub

Public Sub PmcPlan()
    RunPython "import addin.excel.actions as a; a.pmc_plan()"
End Sub

Public Sub CompareSnapshot()
    RunPython "import addin.excel.actions as a; a.compare_snapshot()"
End Sub

' Compare with a chosen file: the path goes to Python as hex UTF-16 code units (four digits
' each), so no character of it can end the Python string it travels in.
Public Sub CompareWithFile()
    Dim chosen As Variant, code As String, i As Long
    chosen = Application.GetOpenFilename("Excel (*.xlsx;*.xlsm;*.xls;*.csv),*.xlsx;*.xlsm;*.xls;*.csv")
    If VarType(chosen) = vbBoolean Then Exit Sub
    For i = 1 To Len(chosen)
        code = code & Right$("000" & Hex$(AscW(Mid$(chosen, i, 1)) And &HFFFF&), 4)
    Next i
    RunPython "import addin.excel.actions as a; a.compare_with_file('" & code & "')"
End Sub
